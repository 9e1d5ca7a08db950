package redisidempotency

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"

	"github.com/ccfs-go/ccfs/idempotency"
)

// keyDomain starts every scope's hash, so that no other use of SHA-256
// over the same bytes names an entry.
const keyDomain = "ccfs idempotency key v1\x00"

// keyFor returns the Redis key of scope: prefix and the hex SHA-256 of
// the domain, the access key (its length first), the VDN and the key's
// text, so that no two scopes share a key and none holds a client's text.
func keyFor(prefix string, scope idempotency.Scope) string {
	h := sha256.New()
	var b []byte
	b = append(b, keyDomain...)
	b = binary.AppendUvarint(b, uint64(len(scope.AccessKey)))
	b = append(b, scope.AccessKey...)
	b = binary.AppendVarint(b, int64(scope.VDN))
	h.Write(b)
	h.Write([]byte(scope.Key))
	return prefix + hex.EncodeToString(h.Sum(nil))
}
