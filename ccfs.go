// Package ccfs implements the CC-FS third-party file interfaces: an
// http.Handler that serves
//
//   - uploadFile (UploadPath): authenticates an auth-v2 signed request,
//     checks the base64 WAV file it carries, and stores it under the
//     configured path rule, in one pass over the body and in memory that
//     does not grow with the file;
//   - deleteFile (DeletePath): removes a file the caller uploaded;
//   - downloadFile (DownloadPath): streams back a recording (or a prompt)
//     under the download path rule.
//
// One Handler, made by NewHandler from one Options, serves all three at
// their paths with one verifier, one replay cache and one set of limits.
// Mount it at InterfacePrefix, or at just the paths you offer. Give it
// your own store.Store or use store.Dir; deleteFile needs a store.Remover
// and downloadFile a store.Opener.
package ccfs

import (
	"time"

	"github.com/ccfs-go/ccfs/auth"
)

// The paths of the interfaces.
const (
	// InterfacePrefix is the path every interface is under: mount the
	// Handler there to serve them all.
	InterfacePrefix = "/CCFS/resource/ccfs/ivr/"
	UploadPath      = InterfacePrefix + "uploadFile"
	DeletePath      = InterfacePrefix + "deleteFile"
	DownloadPath    = InterfacePrefix + "downloadFile"
	// ListPath is listFiles, a ccfs extension (Options.ListFiles): the
	// vendor's server has no such interface.
	ListPath = InterfacePrefix + "listFiles"
)

// The names of the interfaces, as Event.Interface and the log line give
// them.
const (
	InterfaceUpload   = "upload"
	InterfaceDelete   = "delete"
	InterfaceDownload = "download"
	InterfaceList     = "list"
)

// Version is the only protocol version the interface accepts.
const Version = "2.0"

// UploadRequest is the JSON body of an upload.
type UploadRequest struct {
	Request RequestInfo `json:"request"`
	MsgBody UploadBody  `json:"msgBody"`
}

// RequestInfo is the "request" object of a body.
type RequestInfo struct {
	Version string `json:"version"`
}

// UploadBody is the "msgBody" object of an upload body.
type UploadBody struct {
	// Data is the whole WAV file in standard base64 with padding.
	Data string `json:"data"`
}

// DeleteRequest is the JSON body of a deleteFile request.
type DeleteRequest struct {
	Request RequestInfo `json:"request"`
	MsgBody DeleteBody  `json:"msgBody"`
}

// DeleteBody is the "msgBody" object of a deleteFile request.
type DeleteBody struct {
	// FileName is the file to delete, as uploadFile returned it, root
	// prefix included: "Y:/3rdfile/53/thirdvoicebotfile/x.wav".
	FileName string `json:"fileName"`
	// LocationID, in a CTI pool, deletes only the copy at that location;
	// empty deletes every copy. Outside a pool it is ignored.
	LocationID string `json:"locationId,omitempty"`
}

// DownloadRequest is the JSON body of a downloadFile request.
type DownloadRequest struct {
	Request RequestInfo  `json:"request"`
	MsgBody DownloadBody `json:"msgBody"`
}

// DownloadBody is the "msgBody" object of a downloadFile request.
type DownloadBody struct {
	// FilePath is the file to download, root prefix included
	// ("Y:/voice/53/IVRrecordFile/x.wav"), or with Mode ModeFolder the
	// folder holding it.
	FilePath string `json:"filePath"`
	// Mode ModeFolder downloads the one file in the folder FilePath; any
	// other value, or none, the file FilePath.
	Mode int `json:"mode,omitempty"`
}

// ModeFolder is the DownloadBody.Mode that names a folder.
const ModeFolder = 1

// Response is the JSON body of every answer.
type Response struct {
	ResultCode string      `json:"resultCode"`
	ResultDesc string      `json:"resultDesc"`
	ResultData *ResultData `json:"resultData,omitempty"`
	// ServerSigned, beside 0300010 for a signature that does not match,
	// is what the server signed for the request (unless
	// Options.TerseSignatureErrors): compare it with what the client
	// signed, auth.ExplainRequest or `ccfs sign --explain`.
	ServerSigned *auth.Explanation `json:"serverSigned,omitempty"`
}

// ResultData is what a successful upload returns.
type ResultData struct {
	// FileName is where the file was stored: the root prefix, the expanded
	// path rule and the generated name, e.g.
	// "Y:/3rdfile/53/thirdvoicebotfile/8fSsBaEb_1631869974029.wav".
	FileName string `json:"fileName"`
	// LocationID lists the CTI pool locations holding the file; absent
	// outside a pool.
	LocationID []string `json:"locationId,omitempty"`
	// Converted, a ccfs extension (Options.Convert), says the file was
	// converted before it was stored; absent for a file stored as it was
	// sent, and always from the vendor's server, which does not convert.
	Converted *Conversion `json:"converted,omitempty"`
}

// ListRequest is the body of a listFiles request (a ccfs extension).
type ListRequest struct {
	Request RequestInfo `json:"request"`
	MsgBody ListBody    `json:"msgBody"`
}

// ListBody is listFiles' msgBody.
type ListBody struct {
	// VDNID is the VDN whose prompts are listed: one the key owns.
	VDNID int `json:"vdnId"`
	// Limit is the most files a page holds: 1 to MaxListLimit; 0 (or
	// absent) means DefaultListLimit.
	Limit int `json:"limit,omitempty"`
	// PageToken, if set, is a previous page's NextPageToken: the listing
	// goes on after that page.
	PageToken string `json:"pageToken,omitempty"`
}

// The bounds of ListBody.Limit.
const (
	DefaultListLimit = 100
	MaxListLimit     = 1000
)

// ListResponse is listFiles' answer: Response's envelope, with a listing
// for its resultData.
type ListResponse struct {
	ResultCode string      `json:"resultCode"`
	ResultDesc string      `json:"resultDesc"`
	ResultData *ListResult `json:"resultData,omitempty"`
}

// ListResult is one page of a listing.
type ListResult struct {
	// Files are the page's files, in the order of their names; never
	// null, an empty page's is [].
	Files []ListedFile `json:"files"`
	// NextPageToken, if not empty, asks for the next page; empty on the
	// last page.
	NextPageToken string `json:"nextPageToken,omitempty"`
}

// ListedFile is one file of a listing.
type ListedFile struct {
	// FileName is the file as an upload's answer named it, root prefix
	// included.
	FileName string `json:"fileName"`
	// Size is its size in bytes.
	Size int64 `json:"size"`
	// Modified is when it was stored, in UTC.
	Modified time.Time `json:"modified"`
	// LocationIDs lists the CTI pool locations holding it; absent outside
	// a pool.
	LocationIDs []string `json:"locationIds,omitempty"`
}

// Conversion describes a file converted on upload (Options.Convert), a
// ccfs extension: the vendor's server never sends it.
type Conversion struct {
	// From describes the file as uploaded, as convert.Source.From does:
	// "PCM 16-bit 22050 Hz stereo", "MP3 44100 Hz stereo".
	From string `json:"from"`
	// Seconds is the stored prompt's duration, which is the uploaded
	// file's.
	Seconds float64 `json:"seconds"`
}
