// Package ccfstest helps test code that talks to, or plugs into, a CC-FS
// server.
//
//   - NewServer starts the real handler (uploadFile, deleteFile,
//     downloadFile) on a loopback TLS server, as net/http/httptest does,
//     with a key it accepts, a Memory store to look into and pre-load
//     with recordings (AddFile), a ready Client, and upload faults to
//     inject on demand. WithStore runs it over a store of your own;
//     Serve serves your own http.Handler (a mux with the handler mounted
//     in it) the same way.
//   - WAV and the broken fixtures make files to upload.
//   - TestStore checks any store.Store against the Store contract, as
//     testing/fstest.TestFS checks an fs.FS; TestLifecycle runs a file's
//     whole life (upload, download, delete) through the handler over it.
package ccfstest
