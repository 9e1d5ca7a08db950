package ccfs

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ccfs-go/ccfs/auth"
)

// A Client uploads, deletes, downloads and lists (List, a ccfs extension) files on a CC-FS server. Set BaseURL and the key; the
// zero value of every other field is its default. A Client is safe for
// concurrent use.
//
// Retries: a request the server refuses for now — its key's rate is spent
// (ErrRateLimited, 0300014) or too many requests are in progress (ErrBusy,
// 0300015) — is sent again, signed anew, up to Retries times: after the
// server's Retry-After if it gives one, else after 250 ms, doubling each
// time, each wait with up to a fifth of random jitter. A wait longer than
// 10 s is not made: the refusal is returned. ctx ends a wait.
//
// An upload is also retried when its answer is lost — the connection
// reset or closed before the answer, a timeout — within the same Retries,
// after the same backoff: each upload carries an Idempotency-Key (a ccfs
// extension; a fresh random key per upload, the same on each retry of
// it, among the signed headers), so a ccfs server that stored the file
// answers the retry with the first upload's name and stores nothing more.
// A server that ignores the header (the vendor's) may store a retried
// upload twice: set NoIdempotencyKey for one. Nothing else is retried:
// every other refusal says what to change, and a delete or download is
// not retried on a lost answer.
type Client struct {
	// BaseURL is the server's scheme, host and port, such as
	// "https://10.22.26.181:28443". The interface's path is appended.
	BaseURL   string
	AccessKey string
	SecretKey string
	// HTTPClient sends the requests. Default: http.DefaultClient.
	HTTPClient *http.Client
	// Retries is how many times a request refused for now is sent again
	// (see Retries above). Default: 3; negative: never.
	Retries int
	// Now is the signing clock. Default: the system clock, on which no two
	// requests are signed alike, however quickly they follow each other
	// (auth.Timestamps): the server would refuse the second as a replay.
	// A clock given here is signed at as it is.
	Now func() time.Time
	// NoIdempotencyKey sends uploads without an Idempotency-Key, and so
	// does not retry one whose answer was lost: for a server that ignores
	// the header, where a retry could store the file twice. Default:
	// false, a key on every upload.
	NoIdempotencyKey bool
}

// maxResponse bounds the response body a Client reads.
const maxResponse = 64 << 10

// Upload uploads wav to vdnID and returns where the server stored it. A
// refusal is returned as an Error carrying the server's result code,
// description and HTTP status (401 for an authentication failure);
// errors.Is matches it against the sentinels such as ErrAuth.
func (c *Client) Upload(ctx context.Context, vdnID int, wav []byte) (*ResultData, error) {
	return c.UploadFrom(ctx, vdnID, bytes.NewReader(wav), int64(len(wav)))
}

// UploadFrom uploads the size bytes of r. The body is streamed, base64
// encoded on the fly, twice — once to sign it, once to send it — and never
// held in memory.
func (c *Client) UploadFrom(ctx context.Context, vdnID int, r io.ReaderAt, size int64) (*ResultData, error) {
	if c.BaseURL == "" {
		return nil, errors.New("ccfs: Client.BaseURL is empty")
	}
	if size < 0 {
		return nil, errors.New("ccfs: negative size")
	}
	body := func() io.Reader { return newUploadBody(io.NewSectionReader(r, 0, size)) }
	url := strings.TrimSuffix(c.BaseURL, "/") + UploadPath + "?vdnId=" + strconv.Itoa(vdnID)
	key := ""
	if !c.NoIdempotencyKey {
		key = rand.Text() // one key for every try of this upload
	}
	resp, err := c.send(ctx, key != "", func() (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body())
		if err != nil {
			return nil, fmt.Errorf("ccfs: %w", err)
		}
		req.ContentLength = uploadBodyLen(size)
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(body()), nil }
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
		signer := auth.Signer{AccessKey: c.AccessKey, SecretKey: c.SecretKey, Now: c.Now}
		if key != "" {
			req.Header.Set(HeaderIdempotencyKey, key)
			signer.SignedHeaders = append(auth.DefaultSignedHeaders(), strings.ToLower(HeaderIdempotencyKey))
		}
		if err := signer.SignReader(req, body()); err != nil {
			return nil, fmt.Errorf("ccfs: signing: %w", err)
		}
		return req, nil
	})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := readAnswer(resp)
	if err != nil {
		return nil, err
	}
	if out.ResultData == nil {
		return nil, errors.New("ccfs: success without resultData")
	}
	return out.ResultData, nil
}

// Delete deletes a file uploadFile stored, named as it returned it
// (fileName, root prefix included). In a CTI pool, locationID deletes
// only the copy at that location; "" deletes every copy. A refusal is
// returned as an Error: ErrNoSuchFile if there is no such file.
func (c *Client) Delete(ctx context.Context, fileName, locationID string) error {
	resp, err := c.post(ctx, DeletePath, DeleteRequest{
		Request: RequestInfo{Version: Version},
		MsgBody: DeleteBody{FileName: fileName, LocationID: locationID},
	})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = readAnswer(resp)
	return err
}

// Download writes the file filePath (root prefix included, such as
// "Y:/voice/53/IVRrecordFile/x.wav") to w as it arrives, and returns its
// length. A refusal is returned as an Error; a download cut off midway
// returns an error, having written part of the file to w.
func (c *Client) Download(ctx context.Context, filePath string, w io.Writer) (int64, error) {
	return c.download(ctx, DownloadBody{FilePath: filePath}, w)
}

// DownloadFolder writes the one file in the folder folderPath to w, as
// Download does (downloadFile's mode 1). A folder with no file or more
// than one is refused with ErrNotOneFile.
func (c *Client) DownloadFolder(ctx context.Context, folderPath string, w io.Writer) (int64, error) {
	return c.download(ctx, DownloadBody{FilePath: folderPath, Mode: ModeFolder}, w)
}

func (c *Client) download(ctx context.Context, body DownloadBody, w io.Writer) (int64, error) {
	resp, err := c.post(ctx, DownloadPath, DownloadRequest{Request: RequestInfo{Version: Version}, MsgBody: body})
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); resp.StatusCode != http.StatusOK || mt == "application/json" {
		_, err := readAnswer(resp)
		if err == nil {
			err = errors.New("ccfs: a success answer instead of a file")
		}
		return 0, err
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("ccfs: the download broke off after %d bytes: %w", n, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return n, fmt.Errorf("ccfs: the download broke off after %d of %d bytes", n, resp.ContentLength)
	}
	return n, nil
}

// post sends a small signed request: v as its JSON body.
func (c *Client) post(ctx context.Context, path string, v any) (*http.Response, error) {
	if c.BaseURL == "" {
		return nil, errors.New("ccfs: Client.BaseURL is empty")
	}
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("ccfs: %w", err)
	}
	return c.send(ctx, false, func() (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.BaseURL, "/")+path, bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("ccfs: %w", err)
		}
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
		signer := auth.Signer{AccessKey: c.AccessKey, SecretKey: c.SecretKey, Now: c.Now}
		if err := signer.Sign(req, body); err != nil {
			return nil, fmt.Errorf("ccfs: signing: %w", err)
		}
		return req, nil
	})
}

// The Client's retry policy (see Client).
const (
	defaultRetries = 3
	firstBackoff   = 250 * time.Millisecond
	longestWait    = 10 * time.Second
)

// send sends the request build makes, a new one, signed anew, for each
// try, and returns the response of the last: the first that is not a
// refusal for now, or the last refusal once the retries are spent. If
// lostAnswers (an upload with an Idempotency-Key), a try whose answer was
// lost is retried too, and the answer is read whole before it is
// returned.
func (c *Client) send(ctx context.Context, lostAnswers bool, build func() (*http.Request, error)) (*http.Response, error) {
	retries := c.Retries
	switch {
	case retries == 0:
		retries = defaultRetries
	case retries < 0:
		retries = 0
	}
	backoff := firstBackoff
	for try := 0; ; try++ {
		req, err := build()
		if err != nil {
			return nil, err
		}
		var resp *http.Response
		if lostAnswers {
			resp, err = c.doWhole(req)
			if err != nil && ctx.Err() == nil && lostAnswer(err) && try < retries {
				select {
				case <-ctx.Done():
					return nil, fmt.Errorf("ccfs: %w", err)
				case <-time.After(backoff + mrand.N(backoff/5+1)):
				}
				backoff *= 2
				continue
			}
		} else {
			resp, err = c.httpClient().Do(req)
		}
		if err != nil {
			return nil, fmt.Errorf("ccfs: %w", err)
		}
		wait, again := retryAfter(resp, backoff)
		if !again || try >= retries || wait > longestWait {
			return resp, nil
		}
		select {
		case <-ctx.Done():
			return resp, nil
		case <-time.After(wait + mrand.N(wait/5+1)):
		}
		resp.Body.Close()
		backoff *= 2
	}
}

// retryAfter reports whether resp is a refusal for now, and how long to
// wait before trying again: its Retry-After, or backoff. It leaves resp's
// body readable from its start.
func retryAfter(resp *http.Response, backoff time.Duration) (time.Duration, bool) {
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		return 0, false
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(raw), resp.Body), resp.Body}
	var out Response
	if err != nil || json.Unmarshal(raw, &out) != nil || out.ResultCode != ErrRateLimited.code && out.ResultCode != ErrBusy.code {
		return 0, false
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	return backoff, true
}

func (c *Client) httpClient() *http.Client {
	if c.HTTPClient == nil {
		return http.DefaultClient
	}
	return c.HTTPClient
}

// readAnswer reads a CC-FS JSON answer; a failure code is returned as an
// Error.
func readAnswer(resp *http.Response) (*Response, error) {
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("ccfs: reading the response: %w", err)
	}
	var out Response
	if err := json.Unmarshal(raw, &out); err != nil || out.ResultCode == "" {
		return nil, fmt.Errorf("ccfs: HTTP %d with a body that is not a CC-FS response: %.200q", resp.StatusCode, raw)
	}
	if out.ResultCode != SuccessCode {
		return nil, Error{code: out.ResultCode, desc: out.ResultDesc, status: resp.StatusCode, signed: out.ServerSigned}
	}
	return &out, nil
}

const (
	bodyPrefix = `{"request":{"version":"` + Version + `"},"msgBody":{"data":"`
	bodySuffix = `"}}`
)

// uploadBodyLen is the length of the body carrying a file of size bytes.
func uploadBodyLen(size int64) int64 {
	return int64(len(bodyPrefix)) + (size+2)/3*4 + int64(len(bodySuffix))
}

// newUploadBody returns the JSON body for the file read from r, base64
// encoded as it is read.
func newUploadBody(r io.Reader) io.Reader {
	return io.MultiReader(strings.NewReader(bodyPrefix), &base64Reader{src: r}, strings.NewReader(bodySuffix))
}

// base64Reader encodes what it reads from src.
type base64Reader struct {
	src  io.Reader
	in   [3 << 10]byte
	out  [4 << 10]byte
	rest []byte
	eof  bool
}

func (b *base64Reader) Read(p []byte) (int, error) {
	for len(b.rest) == 0 {
		if b.eof {
			return 0, io.EOF
		}
		n, err := io.ReadFull(b.src, b.in[:])
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			b.eof = true
		} else if err != nil {
			return 0, err
		}
		base64.StdEncoding.Encode(b.out[:], b.in[:n])
		b.rest = b.out[:base64.StdEncoding.EncodedLen(n)]
	}
	n := copy(p, b.rest)
	b.rest = b.rest[n:]
	return n, nil
}
