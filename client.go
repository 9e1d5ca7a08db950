package ccfs

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ccfs-go/ccfs/auth"
)

// A Client uploads files to a CC-FS server. Set BaseURL and the key; the
// zero value of every other field is its default. A Client is safe for
// concurrent use.
type Client struct {
	// BaseURL is the server's scheme, host and port, such as
	// "https://10.22.26.181:28443". UploadPath is appended.
	BaseURL   string
	AccessKey string
	SecretKey string
	// HTTPClient sends the requests. Default: http.DefaultClient.
	HTTPClient *http.Client
	// Now is the signing clock. Default: time.Now.
	Now func() time.Time
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
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body())
	if err != nil {
		return nil, fmt.Errorf("ccfs: %w", err)
	}
	req.ContentLength = uploadBodyLen(size)
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(body()), nil }
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	signer := auth.Signer{AccessKey: c.AccessKey, SecretKey: c.SecretKey, Now: c.Now}
	if err := signer.SignReader(req, body()); err != nil {
		return nil, fmt.Errorf("ccfs: signing: %w", err)
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ccfs: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("ccfs: reading the response: %w", err)
	}
	var out Response
	if err := json.Unmarshal(raw, &out); err != nil || out.ResultCode == "" {
		return nil, fmt.Errorf("ccfs: HTTP %d with a body that is not a CC-FS response: %.200q", resp.StatusCode, raw)
	}
	if out.ResultCode != SuccessCode {
		return nil, Error{code: out.ResultCode, desc: out.ResultDesc, status: resp.StatusCode}
	}
	if out.ResultData == nil {
		return nil, errors.New("ccfs: success without resultData")
	}
	return out.ResultData, nil
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
