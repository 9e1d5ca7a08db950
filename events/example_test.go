package events_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/ccfs-go/ccfs/events"
)

// A receiver: it verifies each delivery's signature, drops an event it
// has already handled (delivery is at least once), and acknowledges
// types it has no use for, so that they are not retried.
func ExampleVerify() {
	secret := events.NewSecret() // the receiver is given secret.Text()

	var mu sync.Mutex
	seen := map[string]bool{} // in production: a table, keyed by ID, kept for days
	receiver := func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "", http.StatusBadRequest)
			return
		}
		if err := events.Verify(secret, r.Header, body, time.Now(), 0); err != nil {
			http.Error(w, "", http.StatusUnauthorized)
			return
		}
		var ev events.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			http.Error(w, "", http.StatusBadRequest)
			return
		}
		mu.Lock()
		repeat := seen[ev.ID]
		seen[ev.ID] = true
		mu.Unlock()
		switch {
		case repeat:
			fmt.Println("repeat dropped")
		case ev.Type == events.PromptUploaded:
			fmt.Printf("uploaded %s (%d bytes)\n", ev.FileName, ev.Size)
		}
		w.WriteHeader(http.StatusNoContent)
	}

	// What the sender does.
	ev := events.New(events.PromptUploaded, time.Now())
	ev.VDN, ev.FileName, ev.Size, ev.Codec, ev.AccessKey = 53, "Y:/3rdfile/53/a.wav", 16044, "alaw", "bot-53"
	body, _ := json.Marshal(ev)
	for range 2 { // delivered twice
		req := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body))
		for k, v := range events.Headers(ev.ID, time.Now(), body, secret) {
			req.Header[k] = v
		}
		receiver(httptest.NewRecorder(), req)
	}
	// Output:
	// uploaded Y:/3rdfile/53/a.wav (16044 bytes)
	// repeat dropped
}
