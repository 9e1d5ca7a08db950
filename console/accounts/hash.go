package accounts

// The hashes an accounts file may hold: argon2id in the PHC string format
// (what Hash writes) and bcrypt (what htpasswd -B writes), each parsed
// once into a verifier, with bounds on its cost so that a line cannot make
// a sign-in allocate gigabytes.

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Params are argon2id's costs.
type Params struct {
	// Memory is the memory each hash takes, in KiB.
	Memory uint32
	// Time is the number of passes over the memory.
	Time uint32
	// Threads is the parallelism (the PHC string's p).
	Threads uint8
}

// DefaultParams are the costs Hash uses: 19 MiB, two passes, one thread,
// the minimum OWASP's Password Storage Cheat Sheet recommends for
// argon2id.
var DefaultParams = Params{Memory: 19456, Time: 2, Threads: 1}

// The bounds of what an accounts file's hashes may ask for. Memory is
// allocated at every sign-in for that name; time is spent at every one.
const (
	maxMemoryKiB  = 1 << 20 // 1 GiB
	maxTime       = 64
	minSaltLen    = 8
	maxSaltLen    = 64
	minKeyLen     = 16
	maxKeyLen     = 64
	maxBcryptCost = 20
)

// saltLen and keyLen are what Hash writes.
const (
	saltLen = 16
	keyLen  = 32
)

// Hash returns the argon2id PHC hash of password with a fresh 16-byte
// salt and DefaultParams (m=19456 KiB, t=2, p=1: OWASP's minimum).
func Hash(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	h := &argon2Hash{params: DefaultParams, salt: salt}
	h.key = h.derive(password, keyLen)
	return h.String(), nil
}

// A verifier is one parsed hash.
type verifier interface {
	// verify reports whether password hashes to this hash, comparing in
	// constant time.
	verify(password string) bool
	// shape names the algorithm and its costs: two verifiers of one
	// shape take as long.
	shape() string
	// dummy returns a verifier of the same shape that no password is
	// known to match.
	dummy() (verifier, error)
}

// errHashKind is parseHash's answer for a string of neither kind.
var errHashKind = errors.New("the hash is neither argon2id ($argon2id$v=19$m=…,t=…,p=…$salt$hash) nor bcrypt ($2a$, $2b$ or $2y$, as htpasswd -B writes)")

// parseHash parses a hash of either kind. Its errors never hold the hash.
func parseHash(s string) (verifier, error) {
	switch {
	case strings.HasPrefix(s, "$argon2id$"):
		return parseArgon2(s)
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		return parseBcrypt(s)
	}
	return nil, errHashKind
}

// argon2Hash is an argon2id hash.
type argon2Hash struct {
	params    Params
	salt, key []byte
}

// parseArgon2 parses "$argon2id$v=19$m=M,t=T,p=P$SALT$KEY", SALT and KEY
// in unpadded standard base64, as the reference implementation and
// libsodium write it.
func parseArgon2(s string) (*argon2Hash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return nil, errors.New("an argon2id hash has five parts: $argon2id$v=19$m=…,t=…,p=…$salt$hash")
	}
	if parts[2] != "v=19" {
		return nil, errors.New("an argon2id hash must be version 19 (v=19)")
	}
	var h argon2Hash
	var seen [3]bool
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return nil, errors.New("an argon2id hash's parameters are m=…,t=…,p=…")
	}
	for _, kv := range params {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || v == "" || v[0] == '+' {
			return nil, errors.New("an argon2id hash's parameters m, t and p are decimal numbers")
		}
		switch k {
		case "m":
			if n < 8 || n > maxMemoryKiB {
				return nil, fmt.Errorf("an argon2id hash's memory m must be 8 to %d KiB", maxMemoryKiB)
			}
			h.params.Memory, seen[0] = uint32(n), true
		case "t":
			if n < 1 || n > maxTime {
				return nil, fmt.Errorf("an argon2id hash's time t must be 1 to %d", maxTime)
			}
			h.params.Time, seen[1] = uint32(n), true
		case "p":
			if n < 1 || n > 255 {
				return nil, errors.New("an argon2id hash's parallelism p must be 1 to 255")
			}
			h.params.Threads, seen[2] = uint8(n), true
		default:
			return nil, errors.New("an argon2id hash's parameters are m=…,t=…,p=…")
		}
	}
	if !seen[0] || !seen[1] || !seen[2] {
		return nil, errors.New("an argon2id hash's parameters are m=…,t=…,p=…")
	}
	if h.params.Memory < 8*uint32(h.params.Threads) {
		return nil, errors.New("an argon2id hash's memory m must be at least 8 KiB per thread")
	}
	var err error
	if h.salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4]); err != nil || len(h.salt) < minSaltLen || len(h.salt) > maxSaltLen {
		return nil, fmt.Errorf("an argon2id hash's salt must be %d to %d bytes in unpadded base64", minSaltLen, maxSaltLen)
	}
	if h.key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5]); err != nil || len(h.key) < minKeyLen || len(h.key) > maxKeyLen {
		return nil, fmt.Errorf("an argon2id hash's hash must be %d to %d bytes in unpadded base64", minKeyLen, maxKeyLen)
	}
	return &h, nil
}

// derive computes the key of password under h's salt and costs.
func (h *argon2Hash) derive(password string, n int) []byte {
	return argon2.IDKey([]byte(password), h.salt, h.params.Time, h.params.Memory, h.params.Threads, uint32(n))
}

func (h *argon2Hash) verify(password string) bool {
	return subtle.ConstantTimeCompare(h.derive(password, len(h.key)), h.key) == 1
}

func (h *argon2Hash) shape() string {
	return fmt.Sprintf("argon2id m=%d,t=%d,p=%d salt=%d key=%d", h.params.Memory, h.params.Time, h.params.Threads, len(h.salt), len(h.key))
}

// dummy returns a hash of the same costs with a random salt and a random
// key: deriving a key takes as long, and no password is known to give it.
func (h *argon2Hash) dummy() (verifier, error) {
	d := &argon2Hash{params: h.params, salt: make([]byte, len(h.salt)), key: make([]byte, len(h.key))}
	if _, err := rand.Read(d.salt); err != nil {
		return nil, err
	}
	if _, err := rand.Read(d.key); err != nil {
		return nil, err
	}
	return d, nil
}

// String is the PHC string.
func (h *argon2Hash) String() string {
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", h.params.Memory, h.params.Time, h.params.Threads,
		base64.RawStdEncoding.EncodeToString(h.salt), base64.RawStdEncoding.EncodeToString(h.key))
}

// bcryptHash is a bcrypt hash, "$2y$05$" and 53 characters of salt and
// hash.
type bcryptHash struct {
	hash []byte
	cost int
}

// bcryptAlphabet is bcrypt's base64 alphabet.
const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// parseBcrypt checks the shape of a bcrypt hash and reads its cost.
func parseBcrypt(s string) (*bcryptHash, error) {
	if len(s) != 60 || s[6] != '$' {
		return nil, errors.New("a bcrypt hash is 60 characters: $2y$, two digits of cost, $, salt and hash")
	}
	for i := 7; i < len(s); i++ {
		if !strings.ContainsRune(bcryptAlphabet, rune(s[i])) {
			return nil, errors.New("a bcrypt hash's salt and hash are in bcrypt's base64 alphabet")
		}
	}
	cost, err := bcrypt.Cost([]byte(s))
	if err != nil || cost > maxBcryptCost {
		return nil, fmt.Errorf("a bcrypt hash's cost must be %d to %d", bcrypt.MinCost, maxBcryptCost)
	}
	return &bcryptHash{hash: []byte(s), cost: cost}, nil
}

// verify compares as bcrypt does: only the first 72 bytes of a password
// count.
func (h *bcryptHash) verify(password string) bool {
	return bcrypt.CompareHashAndPassword(h.hash, []byte(password)) == nil
}

func (h *bcryptHash) shape() string { return "bcrypt cost=" + strconv.Itoa(h.cost) }

// dummy hashes a random password at the same cost.
func (h *bcryptHash) dummy() (verifier, error) {
	pw := make([]byte, 32)
	if _, err := rand.Read(pw); err != nil {
		return nil, err
	}
	b, err := bcrypt.GenerateFromPassword([]byte(base64.RawStdEncoding.EncodeToString(pw)), h.cost)
	if err != nil {
		return nil, err
	}
	return &bcryptHash{hash: b, cost: h.cost}, nil
}
