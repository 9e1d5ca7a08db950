// Package auth implements auth-v2, the AK/SK request signing used by CC-FS
// and the contact-centre interfaces beside it.
//
// A client signs a request with a [Signer]. A server checks one with a
// [Verifier] in two steps, so that it never has to hold a body in memory:
// [Verifier.Begin] checks everything the Authorization header says before the
// body is read (its form, the signing time, that the access key exists),
// and the returned [Verification] is an [io.Writer] that the body streams
// through; [Verification.Verify] then compares the signature in constant
// time, checks the key's right to the VDN and the signing time again, and
// records the signature in the [ReplayCache].
//
// A request that names its VDN inside its body (deleteFile, downloadFile)
// begins with [Verifier.BeginVDNInBody] instead, and the server asks
// [Verification.Allows] once the body is verified and read.
//
// Keys come from a [Credentials] implementation; [Static] keeps them in
// memory, [NewFileCredentials] reads the JSON file an operator writes by
// hand (a [FileCredentials], which can reload it while the server runs),
// and [ParseCredentials] reads the same JSON from anywhere else. During a
// rotation a [Key] carries its previous secret until a time, and a
// request signed with either holds.
//
// The algorithm, in short:
//
//	authStringPrefix = "auth-v2/" + AK + "/" + timestamp + "/" + signedHeaders
//	signingKey       = hex(HMAC-SHA256(SK, authStringPrefix))
//	canonicalRequest = METHOD \n path \n [query \n] signedHeaders \n headers \n norm(body)
//	signature        = hex(HMAC-SHA256(signingKey as ASCII hex, canonicalRequest))
//
// where norm percent-encodes every byte outside A–Z a–z 0–9 - . _ ~. The
// hash and the MAC are crypto/sha256 and crypto/hmac; the comparison is
// hmac.Equal.
package auth
