package refclient

import (
	"testing"
	"time"
)

// The reference client reproduces the specification's vectors.
func TestVectors(t *testing.T) {
	const sk = "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p"
	at := func(s string) time.Time {
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	cases := []struct {
		name, ak, sk string
		at           time.Time
		r            Request
		v            Variant
		want, head   string
	}{
		{
			name: "A", ak: "globalaktest", sk: sk, at: at("2021-08-31T09:38:50.872Z"), v: Page,
			r: Request{Path: "/CCFS/resource/ccfs/ivr/uploadFile", Query: "vdnId=53",
				Headers: [][2]string{{"Host", "10.22.26.181:28080"}, {"Content-Type", "application/json;charset=UTF-8"}},
				Body:    []byte(`{"request":{"version":"2.0"},"msgBody":{"data":"UklGRg=="}}`)},
			want: "auth-v2/globalaktest/2021-08-31T09:38:50.872Z/content-length;content-type;host/0512454550f487e6f7d92417aecef7b3a2e3453768ebe70b98948e5f29e33503",
		},
		{
			name: "B", ak: "globalaktest", sk: sk, at: at("2021-08-31T09:38:50Z"), v: Demo,
			r: Request{Path: "/CCFS/resource/ccfs/ivr/deleteFile", Headers: [][2]string{{"Host", "10.22.26.181"}},
				Body: []byte(`{"request":{"version":"2.0"},"msgBody":{"fileName":"Y:/3rdfile/53/thirdvoicebotfile/a.wav"}}`)},
			want: "auth-v2/globalaktest/2021-08-31T09:38:50Z/host/10bacb1471218b1b3f97143f2002d44aad29e82e0aa9e387976b88678e87df09",
			head: "POST\n/CCFS/resource/ccfs/ivr/deleteFile\nhost\nhost:10.22.26.181\n",
		},
		{
			name: "C", ak: "ak-vdn53", sk: "s3cr3t/+=SK", at: at("2026-11-23T19:00:00Z"), v: Page,
			r: Request{Path: "/CCFS/resource/ccfs/ivr/uploadFile", Query: "vdnId=53",
				Headers: [][2]string{{"Host", "127.0.0.1:28443"}, {"Content-Type", "application/json; charset=UTF-8"}},
				Body:    []byte(`{"request":{"version":"2.0"},"msgBody":{"data":"UklGRiwAAABXQVZFZm10IBAAAAAGAAEAQB8AAEAfAAABAAgAZGF0YQgAAADVVdVVKqoqqg=="}}`)},
			want: "auth-v2/ak-vdn53/2026-11-23T19:00:00.000Z/content-length;content-type;host/e149e23b537c92b4ecb43c7a03d896db2e90faac94a5645c5dd15e53c59c2b1f",
			head: "POST\n/CCFS/resource/ccfs/ivr/uploadFile\nvdnId=53\ncontent-length;content-type;host\n" +
				"content-length:123\ncontent-type:application%2Fjson%3B%20charset%3DUTF-8\nhost:127.0.0.1%3A28443\n",
		},
	}
	for _, c := range cases {
		got, signed := Sign(c.ak, c.sk, c.at, c.r, c.v)
		if got != c.want {
			t.Errorf("%s: %s\nwant %s", c.name, got, c.want)
		}
		if c.head != "" && signed.Head != c.head {
			t.Errorf("%s: head %q\nwant %q", c.name, signed.Head, c.head)
		}
	}
}
