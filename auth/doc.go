// Package auth implements auth-v2, the AK/SK request signing used by CC-FS
// and its sibling contact-centre interfaces.
//
// A client signs a request with a [Signer]. A server checks one with a
// [Verifier] in two steps, so that it never has to hold a body in memory:
// [Verifier.Begin] checks everything the Authorization header says before the
// body is read, and the returned [Verification] is an [io.Writer] that the
// body streams through; [Verification.Verify] then compares the signature in
// constant time and records it in the [ReplayCache].
//
// Keys come from a [Credentials] implementation; [Static] keeps them in
// memory and [LoadFile] reads the JSON file an operator writes by hand.
//
// The algorithm, in short:
//
//	authStringPrefix = "auth-v2/" + AK + "/" + timestamp + "/" + signedHeaders
//	signingKey       = hex(HMAC-SHA256(SK, authStringPrefix))
//	canonicalRequest = METHOD \n path \n [query \n] signedHeaders \n headers \n norm(body)
//	signature        = hex(HMAC-SHA256(signingKey as ASCII hex, canonicalRequest))
//
// where norm percent-encodes every byte outside A–Z a–z 0–9 - . _ ~.
//
// The body's part of the signature is the costly one, and the package
// computes it in one pass in fixed memory. On amd64 CPUs with the SHA
// extensions (and AVX, BMI1 and POPCNT) one assembly loop percent-encodes
// the body and hashes it with SHA256RNDS2, so the encoding costs little
// beyond the hashing; on other amd64 CPUs an AVX2 encoder feeds
// crypto/hmac; elsewhere, and with the purego build tag, a portable
// encoder does. All of them are checked against crypto/hmac over a
// byte-wise encoding.
package auth
