package ccfs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
)

// ListOptions are the options of Client.List.
type ListOptions struct {
	// PageSize is how many files each request asks for: 1 to
	// MaxListLimit. Zero: the server's default, DefaultListLimit.
	PageSize int
}

// maxListResponse bounds a listFiles answer a Client reads: a page of
// MaxListLimit files with the longest names, with room to spare.
const maxListResponse = 4 << 20

// List lists the prompts of vdn (listFiles, a ccfs extension: a server
// must have it turned on, and the vendor's has none), in the order of
// their names, asking for a page at a time and following each page's
// token to the next. It yields each file with a nil error; on the first
// failure it yields a zero ListedFile and the error (an Error carrying
// the server's code for a refusal, such as ErrNotFound from a server
// without listFiles) and stops. Stopping the loop early sends no more
// requests. A file present throughout the listing is yielded once; one
// added or removed meanwhile may or may not be.
func (c *Client) List(ctx context.Context, vdn int, opts ListOptions) iter.Seq2[ListedFile, error] {
	return func(yield func(ListedFile, error) bool) {
		token := ""
		for {
			page, err := c.listPage(ctx, ListBody{VDNID: vdn, Limit: opts.PageSize, PageToken: token})
			if err != nil {
				yield(ListedFile{}, err)
				return
			}
			for _, f := range page.Files {
				if !yield(f, nil) {
					return
				}
			}
			switch {
			case page.NextPageToken == "":
				return
			case page.NextPageToken == token:
				yield(ListedFile{}, errors.New("ccfs: the server gave the same page token twice"))
				return
			}
			token = page.NextPageToken
		}
	}
}

// listPage asks for one page.
func (c *Client) listPage(ctx context.Context, body ListBody) (*ListResult, error) {
	resp, err := c.post(ctx, ListPath, ListRequest{Request: RequestInfo{Version: Version}, MsgBody: body})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxListResponse+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("ccfs: reading the response: %w", err)
	case len(raw) > maxListResponse:
		return nil, fmt.Errorf("ccfs: a listFiles answer longer than %d bytes", maxListResponse)
	}
	var out ListResponse
	if json.Unmarshal(raw, &out) == nil && out.ResultCode == SuccessCode {
		if out.ResultData == nil {
			return nil, errors.New("ccfs: success without resultData")
		}
		return out.ResultData, nil
	}
	// A refusal: read as any other answer, for its code.
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	_, err = readAnswer(resp)
	if err == nil {
		err = fmt.Errorf("ccfs: HTTP %d with a listing that could not be read: %.200q", resp.StatusCode, raw)
	}
	return nil, err
}
