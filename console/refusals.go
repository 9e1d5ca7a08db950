package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
)

// maxKeyFilter bounds the key a refusals page is filtered by: no kept
// key is longer.
const maxKeyFilter = maxID

// serveRefusals lists the last refusals, newest first, filtered by key
// (?key=, exact) if one is given.
func (c *Console) serveRefusals(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("key")
	if len(key) > maxKeyFilter {
		c.fail(w, r, http.StatusBadRequest, "The key to filter by is longer than any key kept.")
		return
	}
	data := struct {
		Key      string
		Recorded bool
		Refusals []Refusal
		Max      int
	}{Key: key, Recorded: c.opts.Recorder != nil, Refusals: c.opts.Recorder.Refusals(key), Max: MaxListed}
	c.render(w, r, http.StatusOK, "refusals", "Refusals", "refusals", data)
}

// serveRefusal shows one refusal, with what the server signed and what
// to do about it: the newest of its ID, or the one ?n= (its Seq) names,
// which the refusals page's links give, since clients choose their IDs.
func (c *Console) serveRefusal(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var seq uint64
	if s := r.URL.Query().Get("n"); s != "" {
		var err error
		if seq, err = strconv.ParseUint(s, 10, 64); err != nil || seq == 0 {
			c.fail(w, r, http.StatusBadRequest, "The refusal's number (n) must be a whole number from 1 on.")
			return
		}
	}
	e, ok := c.opts.Recorder.RefusalSeq(id, seq)
	if !ok {
		c.fail(w, r, http.StatusNotFound, "No refusal with this request ID is kept: the console keeps the last few hundred, and forgets them when the server restarts.")
		return
	}
	data := struct {
		Refusal
		CodeDesc string
		Mismatch bool
		Lines    []string // the canonical request, a line each
		Advice   advice
		// SignedAK and SignedAt are the key and timestamp the request
		// signed with, for the command that lays out what it signed.
		SignedAK, SignedAt string
	}{Refusal: e, CodeDesc: codeDesc(e.Code), Advice: adviceFor(e.Code)}
	if e.ServerSigned != nil {
		data.Mismatch = true
		data.Lines = explanationLines(e.ServerSigned)
		data.SignedAK, data.SignedAt = prefixFields(e.ServerSigned.AuthStringPrefix)
	}
	c.render(w, r, http.StatusOK, "refusal", "Refusal "+e.ID, "refusals", data)
}

// explanationLines are the canonical request's lines, as
// auth.Explanation.String() puts each between bars.
func explanationLines(e *auth.Explanation) []string {
	var out []string
	for line := range strings.SplitAfterSeq(e.CanonicalRequest, "\n") {
		if line != "" {
			out = append(out, strings.TrimSuffix(line, "\n"))
		}
	}
	return out
}

// prefixFields are the access key and timestamp of an authStringPrefix
// (auth-v2/AK/TIMESTAMP/HEADERS), or "" for a prefix not of that form.
func prefixFields(prefix string) (ak, timestamp string) {
	f := strings.Split(prefix, "/")
	if len(f) != 4 || f[1] == "" || f[2] == "" {
		return "", ""
	}
	return f[1], f[2]
}

// An advice says what a result code means and what to do about it.
type advice struct {
	Means, Do string
}

// adviceFor returns code's advice; a general one for a code not known.
func adviceFor(code string) advice {
	if a, ok := advices[code]; ok {
		return a
	}
	return advice{
		Means: "A code this console has no advice for.",
		Do:    "See docs/result-codes.md, and the server's log line with this request ID.",
	}
}

// advices are what each code means and what to do, from
// docs/result-codes.md.
var advices = map[string]advice{
	ccfs.ErrNull.Code():     {"A required value was missing: vdnId, Content-Type, Content-Length, version, data, fileName or filePath (the description names it).", "Fix the client so that it sends the value named."},
	ccfs.ErrEmpty.Code():    {"A value was an empty string (also an empty Idempotency-Key).", "Fix the client so that it sends the value named."},
	ccfs.ErrTooLong.Code():  {"Something was too long: the body over its interface's limit, the file over the size limit, or a name over its length.", "Send a smaller file or a shorter name; the description says which limit was passed. The operator may raise the size limit."},
	ccfs.ErrFormat.Code():   {"A value had the wrong form: vdnId, Content-Type, the JSON, base64, or a WAV file CC-FS does not accept (8 kHz mono A-law), or a path not under its rule.", "Read the description: it gives every reason. A WAV must be 8-bit A-law, mono, 8000 Hz, unless conversion is on."},
	ccfs.ErrTooShort.Code(): {"The vendor's code for a value too short; no interface returns it.", "See the server's log line with this request ID."},
	ccfs.ErrVersion.Code():  {"The request's version was not 2.0.", "Send \"version\":\"2.0\"."},
	ccfs.ErrBodyNull.Code(): {"The request had no body.", "Send the JSON body the interface expects."},
	ccfs.ErrAuth.Code():     {"Authentication failed: the Authorization header is missing or malformed, the access key is unknown, or the signature does not match.", "Read the description: it says which. For a signature that does not match, the refusal's page lays out what the server signed."},
	ccfs.ErrTimestamp.Code(): {"The signing time was outside the accepted window (±15 minutes by default) of the server's clock.",
		"Check the client's clock (NTP), and that the timestamp is UTC with a Z, such as 2021-08-31T09:38:50.872Z. The description says which way and how far."},
	ccfs.ErrReplay.Code():       {"The same signature was used before: a repeated request.", "Sign every request, a retry too, anew with a later timestamp; sign with milliseconds to send more than one request a second."},
	ccfs.ErrVDNForbidden.Code(): {"The signature held, but the key may not use this VDN.", "Use a key granted this VDN, or grant it in the credentials file."},
	ccfs.ErrRateLimited.Code():  {"The key's rate (5 requests a second, bursts of 10, by default) was spent.", "Slow the client down and retry after Retry-After seconds."},
	ccfs.ErrBusy.Code():         {"Too many requests were in progress, in all or for this key (or the upload's Idempotency-Key was in use).", "Retry after Retry-After seconds, with fewer requests at once."},
	ccfs.ErrStorage.Code():      {"The store failed to store, delete, read or list.", "A fault of the server's, not the client's: the server's log line with this request ID says why."},
	ccfs.ErrReplayUnavailable.Code(): {"The shared replay check did not answer, so the request was refused (it fails closed).",
		"A fault of the server's: check the replay cache (Redis) in the overview's readiness."},
	ccfs.ErrMethod.Code():              {"The method was not POST.", "Send POST."},
	ccfs.ErrNotFound.Code():            {"The path names no interface.", "Check the client's URL: /CCFS/resource/ccfs/ivr/uploadFile, deleteFile or downloadFile."},
	ccfs.ErrSlowBody.Code():            {"The body arrived too slowly.", "Check the client's network, or the proxy in front of the server."},
	ccfs.ErrNoSuchFile.Code():          {"The file to delete or download does not exist.", "Check the name the client sent (the description quotes it); it may have been deleted already, or removed by retention."},
	ccfs.ErrNotOneFile.Code():          {"The folder to download does not hold exactly one file.", "Name the file rather than the folder."},
	ccfs.ErrCutShort.Code():            {"A download was cut off after it began (never sent to the client).", "The server's log line with this request ID says why: the store, the file, or the client stopping."},
	ccfs.ErrQuota.Code():               {"The VDN's storage quota is used up.", "Delete prompts of the VDN (its prompts page), or raise its quota. The tenants page shows its usage."},
	ccfs.ErrIdempotencyMismatch.Code(): {"The upload's Idempotency-Key was used before for another file.", "Use a new key for a new file."},
}
