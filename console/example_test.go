package console_test

import (
	"fmt"
	"log"
	"net/http"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/console"
	"github.com/ccfs-go/ccfs/store"
)

// ExampleNew mounts the console beside the handler, behind the
// server's own sign-in: Options.Operator names the operator the front
// has let in (here a header a proxy sets, an example only), and the
// console keeps no session of its own. The Recorder sees every request.
func ExampleNew() {
	creds, err := auth.NewStatic(auth.Key{AccessKey: "chatbot-a", SecretKey: "…", VDNs: []int{53}})
	if err != nil {
		log.Fatal(err)
	}
	rec := console.NewRecorder(nil)
	h, err := ccfs.NewHandler(ccfs.Options{
		Credentials: creds,
		Store:       store.NewMemory(),
		OnRequest:   rec.Observe,
	})
	if err != nil {
		log.Fatal(err)
	}
	c, err := console.New(console.Options{
		Handler:     h,
		Recorder:    rec,
		Credentials: creds,
		Operator: func(r *http.Request) (string, bool) {
			name := r.Header.Get("X-Authenticated-User") // set by your own sign-in in front
			return name, name != ""
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(ccfs.InterfacePrefix, h)
	mux.Handle(console.DefaultPath, c)
	fmt.Println("the console is at", console.DefaultPath)
	// Output: the console is at /console/
}
