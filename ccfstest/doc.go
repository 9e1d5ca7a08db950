// Package ccfstest helps test code that talks to, or plugs into, a CC-FS
// upload server.
//
//   - NewServer starts the real upload handler on a loopback TLS server, as
//     net/http/httptest does, with a key it accepts, a Memory store to look
//     into, a ready Client, and faults to inject on demand.
//   - WAV and the broken fixtures make files to upload.
//   - TestStore checks any store.Store against the Store contract, as
//     testing/fstest.TestFS checks an fs.FS.
package ccfstest
