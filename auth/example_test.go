package auth_test

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ccfs-go/ccfs/auth"
)

// Sign an upload request as a chatbot's client does before sending it.
func ExampleSigner_Sign() {
	body := []byte(`{"request":{"version":"2.0"},"msgBody":{"data":"UklGRg=="}}`)
	req, _ := http.NewRequest("POST", "https://10.22.26.181:28080/CCFS/resource/ccfs/ivr/uploadFile?vdnId=53",
		strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")

	s := auth.Signer{
		AccessKey: "globalaktest",
		SecretKey: "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
		// Fixed for the example; leave Now nil to use the clock.
		Now: func() time.Time { return time.Date(2021, 8, 31, 9, 38, 50, 872e6, time.UTC) },
	}
	if err := s.Sign(req, body); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(req.Header.Get("Authorization"))
	// Output:
	// auth-v2/globalaktest/2021-08-31T09:38:50.872Z/content-length;content-type;host/0512454550f487e6f7d92417aecef7b3a2e3453768ebe70b98948e5f29e33503
}
