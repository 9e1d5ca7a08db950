package ccfs_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/convert"
	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// Mount the handler in an existing net/http server, with keys from your
// own source and files kept in your own store. Mounted at InterfacePrefix
// it serves uploadFile, deleteFile and downloadFile.
func ExampleNewHandler() {
	dir, _ := os.MkdirTemp("", "ccfs-example")
	defer os.RemoveAll(dir)
	files, err := store.NewDir(dir) // or any store.Store of your own
	if err != nil {
		log.Fatal(err)
	}
	keys, _ := auth.NewStatic(auth.Key{AccessKey: "chatbot-a", SecretKey: "s3cr3t", VDNs: []int{53}})

	h, err := ccfs.NewHandler(ccfs.Options{
		Credentials: keys,
		Store:       files,
		RootPrefix:  "Y:",
		Logger:      slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(ccfs.InterfacePrefix, h) // or ccfs.UploadPath alone, to offer only uploads
	// … the rest of your server's routes …
	srv := httptest.NewServer(mux) // http.ListenAndServeTLS in production
	defer srv.Close()

	// A chatbot uploads a one-second A-law prompt.
	wav := ccfstest.WAV(time.Second, wavcheck.ALaw)
	body, _ := json.Marshal(ccfs.UploadRequest{
		Request: ccfs.RequestInfo{Version: ccfs.Version},
		MsgBody: ccfs.UploadBody{Data: base64.StdEncoding.EncodeToString(wav)},
	})
	req, _ := http.NewRequest("POST", srv.URL+ccfs.UploadPath+"?vdnId=53", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	signer := auth.Signer{AccessKey: "chatbot-a", SecretKey: "s3cr3t"}
	if err := signer.Sign(req, body); err != nil {
		log.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var out ccfs.Response
	json.NewDecoder(resp.Body).Decode(&out)
	fmt.Println(out.ResultCode, out.ResultDesc, strings.HasPrefix(out.ResultData.FileName, "Y:/3rdfile/53/thirdvoicebotfile/"))

	// The file is on disk under the same name, byte for byte.
	f, _ := files.Open(strings.TrimPrefix(out.ResultData.FileName, "Y:/"))
	stored, _ := io.ReadAll(f)
	f.Close()
	fmt.Println(bytes.Equal(stored, wav))
	// Output:
	// 0 success true
	// true
}

// Upload a file from Go, and tell a refusal from a failure.
func ExampleClient_Upload() {
	keys, _ := auth.NewStatic(auth.Key{AccessKey: "chatbot-a", SecretKey: "s3cr3t", VDNs: []int{53}})
	h, _ := ccfs.NewHandler(ccfs.Options{Credentials: keys, Store: store.NewMemory(), Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewTLSServer(h) // your CC-FS server
	defer srv.Close()

	c := &ccfs.Client{BaseURL: srv.URL, AccessKey: "chatbot-a", SecretKey: "s3cr3t", HTTPClient: srv.Client()}
	rd, err := c.Upload(context.Background(), 53, ccfstest.WAV(time.Second, wavcheck.ALaw))
	fmt.Println(err, strings.HasPrefix(rd.FileName, "/3rdfile/53/thirdvoicebotfile/"))

	stereo := ccfstest.Stereo()
	_, err = c.Upload(context.Background(), 53, stereo)
	var refused ccfs.Error
	if errors.As(err, &refused) {
		fmt.Println(refused.Code(), refused.Desc())
	}
	// Output:
	// <nil> true
	// 0300004 the format of data is incorrect: 2 channels (stereo); need mono
}

// The whole life of a prompt — converted from what a TTS engine wrote,
// uploaded, read back, deleted — and the download of a recording the IVR
// made, by its path and by its folder.
func Example_lifecycle() {
	dir, _ := os.MkdirTemp("", "ccfs-example")
	defer os.RemoveAll(dir)
	files, _ := store.NewDir(dir)
	keys, _ := auth.NewStatic(auth.Key{AccessKey: "chatbot-a", SecretKey: "s3cr3t", VDNs: []int{53}})
	h, _ := ccfs.NewHandler(ccfs.Options{Credentials: keys, Store: files, RootPrefix: "Y:", Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	c := &ccfs.Client{BaseURL: srv.URL, AccessKey: "chatbot-a", SecretKey: "s3cr3t", HTTPClient: srv.Client()}
	ctx := context.Background()

	// A TTS engine wrote 16-bit PCM: convert it to A-law, upload it.
	prompt, err := convert.Convert(ccfstest.PCM16(), wavcheck.ALaw) // a TTS engine's 16-bit PCM
	if err != nil {
		log.Fatal(err)
	}
	rd, err := c.Upload(ctx, 53, prompt) // Y:/3rdfile/53/thirdvoicebotfile/…
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("uploaded:", strings.HasPrefix(rd.FileName, "Y:/3rdfile/53/thirdvoicebotfile/"))

	// Read it back (the default download rule covers uploaded prompts).
	var back bytes.Buffer
	c.Download(ctx, rd.FileName, &back) // the same bytes
	fmt.Println("same bytes:", bytes.Equal(back.Bytes(), prompt))

	// Take it back: it is gone.
	fmt.Println("delete:", c.Delete(ctx, rd.FileName, "")) // <nil>
	_, err = c.Download(ctx, rd.FileName, io.Discard)      // 0300021: the file does not exist: "Y:/3rdfile/53/…"
	fmt.Println("after the delete:", strings.Replace(err.Error(), rd.FileName, "{fileName}", 1))

	// The IVR recorded a call into the recording folder.
	recording := ccfstest.WAV(3*time.Second, wavcheck.ALaw)
	files.Put(ctx, "voice/53/IVRrecordFile/20261125/call-1.wav", bytes.NewReader(recording), -1)

	var rec bytes.Buffer
	n, err := c.Download(ctx, "Y:/voice/53/IVRrecordFile/20261125/call-1.wav", &rec) // 24044 <nil>
	fmt.Println("recording:", n, err, bytes.Equal(rec.Bytes(), recording))
	rec.Reset()
	n, err = c.DownloadFolder(ctx, "Y:/voice/53/IVRrecordFile/20261125", &rec) // the one file in it
	fmt.Println("by folder:", n, err, bytes.Equal(rec.Bytes(), recording))

	// Another tenant's VDN is refused, whether or not it holds a file.
	_, err = c.Download(ctx, "Y:/voice/54/IVRrecordFile/20261125/call-1.wav", io.Discard)
	fmt.Println("VDN 54:", err) // 0300013: the access key may not use VDN 54
	// Output:
	// uploaded: true
	// same bytes: true
	// delete: <nil>
	// after the delete: 0300021: the file does not exist: "{fileName}"
	// recording: 24044 <nil> true
	// by folder: 24044 <nil> true
	// VDN 54: 0300013: the access key may not use VDN 54
}

// Record every request in a database without making chatbots wait for
// it: OnRequest runs before the answer is flushed, so it only hands the
// Event to a buffered channel, and a worker of your own does the slow
// write. When the channel is full the Event is counted and dropped
// rather than delay a request.
func ExampleOptions_onRequest() {
	events := make(chan ccfs.Event, 1024)
	var dropped atomic.Int64
	worker := make(chan struct{})
	go func() {
		defer close(worker)
		for ev := range events {
			// The slow part: a database INSERT, a message queue …
			fmt.Println("recorded:", ev.Interface, ev.Code, strings.HasPrefix(ev.FileName, "/3rdfile/53/"))
		}
	}()

	keys, _ := auth.NewStatic(auth.Key{AccessKey: "chatbot-a", SecretKey: "s3cr3t", VDNs: []int{53}})
	h, err := ccfs.NewHandler(ccfs.Options{
		Credentials: keys,
		Store:       store.NewMemory(),
		Logger:      slog.New(slog.DiscardHandler),
		OnRequest: func(ev ccfs.Event) {
			select {
			case events <- ev:
			default:
				dropped.Add(1) // the worker is behind: never make the chatbot wait
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewTLSServer(h)
	c := &ccfs.Client{BaseURL: srv.URL, AccessKey: "chatbot-a", SecretKey: "s3cr3t", HTTPClient: srv.Client()}
	if _, err := c.Upload(context.Background(), 53, ccfstest.WAV(time.Second, wavcheck.ALaw)); err != nil {
		log.Fatal(err)
	}

	srv.Close()   // on shutdown: no request runs any more,
	close(events) // so the channel can be closed,
	<-worker      // and the worker finishes what it holds.
	fmt.Println("dropped:", dropped.Load())
	// Output:
	// recorded: upload 0 true
	// dropped: 0
}

// Mount the handler in a production server: files under a directory,
// keys from a file. (Compiled, not run: it needs those paths.)
func ExampleNewHandler_mount() {
	files, err := store.NewDir("/srv/ccfs/files") // or your own store.Store
	if err != nil {
		log.Fatal(err)
	}
	keys, err := auth.NewFileCredentials("/etc/ccfs/keys.json") // or your own auth.Credentials
	if err != nil {
		log.Fatal(err)
	}

	h, err := ccfs.NewHandler(ccfs.Options{
		Credentials: keys,
		Store:       files,
		RootPrefix:  "Y:", // shown before the path in fileName (OP deployments)
		// PathRule "/3rdfile/%VDNNO%/thirdvoicebotfile/", the vendor's download
		// rule, MaxFileMB 5, A-law only, a ±15-minute signing window, 5
		// requests/s per key (burst 10), 64 in flight (16 per key), and a body
		// (or a download) held to 16 KiB/s after its first 5 s are the
		// defaults; each Options field documents its own.
	})
	if err != nil {
		log.Fatal(err) // invalid options are refused here, never at request time
	}

	mux := http.NewServeMux()
	mux.Handle(ccfs.InterfacePrefix, h) // uploadFile, deleteFile, downloadFile
	log.Fatal(http.ListenAndServeTLS(":28443", "server.crt", "server.key", mux))
}

// statusRecorder is middleware's ResponseWriter: it notes the status for
// an access log. Its Unwrap method lets http.ResponseController reach
// the connection underneath, so that the handler can still set the read
// and write deadlines that cut off a stalled body or download.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap returns the ResponseWriter underneath, for http.ResponseController.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog is middleware that wraps the ResponseWriter.
func accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		fmt.Println(r.URL.Path, rec.status)
	})
}

// Mount the handler behind middleware that wraps the ResponseWriter: the
// wrapper needs an Unwrap method, or the handler can set no deadline
// through it and says so, once, in a WARN.
func ExampleNewHandler_middleware() {
	keys, _ := auth.NewStatic(auth.Key{AccessKey: "chatbot-a", SecretKey: "s3cr3t", VDNs: []int{53}})
	h, err := ccfs.NewHandler(ccfs.Options{Credentials: keys, Store: store.NewMemory(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(ccfs.InterfacePrefix, accessLog(h))
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()

	c := &ccfs.Client{BaseURL: srv.URL, AccessKey: "chatbot-a", SecretKey: "s3cr3t", HTTPClient: srv.Client()}
	if _, err := c.Upload(context.Background(), 53, ccfstest.WAV(time.Second, wavcheck.ALaw)); err != nil {
		log.Fatal(err)
	}
	// Output:
	// /CCFS/resource/ccfs/ivr/uploadFile 200
}

// Keep each VDN's prompts within a limit, counted from the store before
// the handler serves. (Compiled, not run: it needs the paths.)
func ExampleOptions_quota() {
	ctx := context.Background()
	files, err := store.NewDir("/srv/ccfs/files")
	if err != nil {
		log.Fatal(err)
	}
	keys, err := auth.NewFileCredentials("/etc/ccfs/keys.json")
	if err != nil {
		log.Fatal(err)
	}

	limits, err := quota.ParseLimits("*=2GiB,53=20GiB/100000")
	if err != nil {
		log.Fatal(err)
	}
	usage := quota.NewMemory()
	if _, err := quota.Load(ctx, usage, files, pathrule.MustParse(pathrule.Default)); err != nil { // files: a store.Lister
		log.Fatal(err)
	}
	h, err := ccfs.NewHandler(ccfs.Options{Credentials: keys, Store: files, Quota: limits, Usage: usage})
	if err != nil {
		log.Fatal(err)
	}
	http.Handle(ccfs.InterfacePrefix, h)
}

// Convert uploads on the server, a ccfs extension: a file in another WAV
// encoding, rate or channel count (an MP3, with a blank import of
// github.com/ccfs-go/ccfs/convert/mp3) is stored as an 8 kHz A-law
// prompt, and the answer says what it was.
func ExampleOptions_convert() {
	keys, _ := auth.NewStatic(auth.Key{AccessKey: "chatbot-a", SecretKey: "s3cr3t", VDNs: []int{53}})
	h, err := ccfs.NewHandler(ccfs.Options{
		Credentials: keys,
		Store:       store.NewMemory(),
		Convert:     ccfs.ConvertEvery, // or func(vdn int) bool { return vdn == 53 }; nil: off
		MaxInputMB:  50,                // the default: the largest file to convert, as uploaded
		Logger:      slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	c := &ccfs.Client{BaseURL: srv.URL, AccessKey: "chatbot-a", SecretKey: "s3cr3t", HTTPClient: srv.Client()}
	rd, err := c.Upload(context.Background(), 53, ccfstest.PCM16()) // refused (0300004) without Convert
	if err != nil {
		log.Fatal(err)
	}
	if rd.Converted != nil { // nil for a file stored as it was sent, and from the vendor's server
		fmt.Printf("stored converted from %s, %.1f s\n", rd.Converted.From, rd.Converted.Seconds)
	}
	// Output: stored converted from PCM 16-bit 8000 Hz mono, 1.0 s
}

// Upload from Go to a CC-FS server, and tell a refusal from a failure.
// (Compiled, not run: it needs the server.)
func ExampleClient() {
	ctx := context.Background()
	ak, sk := os.Getenv("CCFS_AK"), os.Getenv("CCFS_SK")
	wav, err := os.ReadFile("prompt.wav")
	if err != nil {
		log.Fatal(err)
	}

	c := &ccfs.Client{BaseURL: "https://10.22.26.181:28443", AccessKey: ak, SecretKey: sk}
	rd, err := c.Upload(ctx, 53, wav) // or c.UploadFrom(ctx, 53, file, size): streamed, never held in memory
	var refused ccfs.Error
	if errors.As(err, &refused) {
		log.Fatal(refused.Code(), " ", refused.Desc()) // errors.Is(err, ccfs.ErrBusy) …
	}
	if err != nil {
		log.Fatal(err) // the network, a timeout: no answer
	}
	fmt.Println(rd.FileName)
}
