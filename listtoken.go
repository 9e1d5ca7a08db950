package ccfs

// listFiles' page tokens: opaque to the caller, and tamper-evident. A
// token holds the last name of the page it follows, bound to the access
// key and the VDN listed by an HMAC-SHA256 whose key is derived from the
// key's secret (auth.Verification.DeriveKey): every node sharing the
// credentials opens it, and no one can forge one, change its name, or
// carry it into another VDN or to another key. A token made before the
// key's secret was rotated no longer opens.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
)

// pageTokenLabel is DeriveKey's label for page tokens' MAC key.
const pageTokenLabel = "ccfs listFiles pageToken v1"

// pageTokenVersion is a token's first byte.
const pageTokenVersion = 1

// maxPageToken bounds a pageToken: the base64 of a version byte, a
// 4-byte VDN, a name of at most maxElementLen bytes and the MAC, with
// room to spare.
const maxPageToken = 512

// pageTokens makes and opens the tokens of one caller's listing of one
// VDN.
type pageTokens struct {
	key []byte // DeriveKey(pageTokenLabel); nil if the signature did not hold
	ak  string
	vdn int
}

// mac returns the MAC of a token's payload: the version, the VDN and the
// name, bound to the access key.
func (p pageTokens) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, p.key)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(p.ak)))
	m.Write(n[:])
	m.Write([]byte(p.ak))
	m.Write(payload)
	return m.Sum(nil)
}

// seal returns the token for a page that ends at name (a base name in the
// VDN's directory).
func (p pageTokens) seal(name string) string {
	payload := make([]byte, 5, 5+len(name)+sha256.Size)
	payload[0] = pageTokenVersion
	binary.BigEndian.PutUint32(payload[1:5], uint32(p.vdn))
	payload = append(payload, name...)
	return base64.RawURLEncoding.EncodeToString(append(payload, p.mac(payload)...))
}

// open returns the name a token made by seal for this caller and VDN
// holds, or refuses it.
func (p pageTokens) open(token string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < 5+1+sha256.Size || p.key == nil {
		return "", badPageToken("it is not one this server gave")
	}
	payload, sum := raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	if !hmac.Equal(p.mac(payload), sum) {
		return "", badPageToken("it is not one this server gave this access key (changed, cut short, or made before the key's secret was rotated)")
	}
	switch {
	case payload[0] != pageTokenVersion:
		return "", badPageToken("it is of another version")
	case binary.BigEndian.Uint32(payload[1:5]) != uint32(p.vdn):
		return "", badPageToken("it continues the listing of another VDN")
	}
	return string(payload[5:]), nil
}

// badPageToken is the answer to a pageToken that does not open.
func badPageToken(why string) Error {
	return ErrFormat.with("the format of pageToken is incorrect: %s; start the listing again without it", why)
}
