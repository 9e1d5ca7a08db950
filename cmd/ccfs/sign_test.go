package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs/auth"
)

// explainedKey returns the signing key `ccfs sign --explain` printed.
func explainedKey(t *testing.T, out string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^signingKey \(.*\): ([0-9a-f]{64})$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no signing key in:\n%s", out)
	}
	return m[1]
}

// With only the required flags, `ccfs sign --explain` signs host alone, as
// the vendor's demo does, and prints the signing key step: the auth string
// prefix and the key derived from it.
func TestSignExplainWithItsDefaults(t *testing.T) {
	code, out, errs := runCmd(t, "sign", "--explain", "--ak", "ak-1", "--sk", "secret-1",
		"--url", "https://10.22.26.181:28443/CCFS/resource/ccfs/ivr/deleteFile")
	if code != 0 || errs != "" {
		t.Fatalf("sign --explain with its defaults: exit %d, %q", code, errs)
	}
	m := regexp.MustCompile(`(?m)^authStringPrefix: (auth-v2/ak-1/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/host)$`).FindStringSubmatch(out)
	if m == nil || !strings.HasPrefix(out, m[1]+"/") {
		t.Fatalf("not signed with host alone:\n%s", out)
	}
	if got, want := explainedKey(t, out), auth.SigningKey("secret-1", m[1]); got != want {
		t.Errorf("signing key %s, want %s", got, want)
	}
	if !strings.Contains(out, "|host|\n|host:10.22.26.181%3A28443|\n") {
		t.Errorf("canonical request:\n%s", out)
	}
}

// `ccfs sign --explain` reproduces the worked vectors of docs/signing.md
// from their inputs: the Authorization header, the auth string prefix,
// the signing key and the signature. Vector B is signed with the defaults
// (host only), as the demo it comes from signs.
func TestSignExplainReproducesTheVectors(t *testing.T) {
	const skAB = "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p"
	three := []string{"--signed-headers", "content-length;content-type;host"}
	for _, v := range []struct {
		name, sk, body, signingKey, authorization, line string
		args                                            []string
	}{
		{
			name: "A", sk: skAB,
			body:          `{"request":{"version":"2.0"},"msgBody":{"data":"UklGRg=="}}`,
			signingKey:    "2ed89f017b07e2c29adc75db70cefdd3d3a009991a5d078c2a7bf4b62b35f802",
			authorization: "auth-v2/globalaktest/2021-08-31T09:38:50.872Z/content-length;content-type;host/0512454550f487e6f7d92417aecef7b3a2e3453768ebe70b98948e5f29e33503",
			line:          "|content-type:application%2Fjson%3Bcharset%3DUTF-8|",
			args: append([]string{"--ak", "globalaktest", "--timestamp", "2021-08-31T09:38:50.872Z",
				"--url", "https://10.22.26.181:28080/CCFS/resource/ccfs/ivr/uploadFile?vdnId=53",
				"--header", "Content-Type: application/json;charset=UTF-8"}, three...),
		},
		{
			name: "B", sk: skAB,
			body:          `{"request":{"version":"2.0"},"msgBody":{"fileName":"Y:/3rdfile/53/thirdvoicebotfile/a.wav"}}`,
			signingKey:    "be0f19ee433bdf443933810fe362a3a7572aa5f47827cc178daf6e7673851e23",
			authorization: "auth-v2/globalaktest/2021-08-31T09:38:50Z/host/10bacb1471218b1b3f97143f2002d44aad29e82e0aa9e387976b88678e87df09",
			line:          "|host:10.22.26.181|",
			args: []string{"--ak", "globalaktest", "--timestamp", "2021-08-31T09:38:50Z",
				"--url", "https://10.22.26.181/CCFS/resource/ccfs/ivr/deleteFile"},
		},
		{
			name: "C", sk: "s3cr3t/+=SK",
			body:          `{"request":{"version":"2.0"},"msgBody":{"data":"UklGRiwAAABXQVZFZm10IBAAAAAGAAEAQB8AAEAfAAABAAgAZGF0YQgAAADVVdVVKqoqqg=="}}`,
			signingKey:    "6f0560d42379cb9045e82b0364de4e66fec12b7d3f44ee4a81c431bd3f811a90",
			authorization: "auth-v2/ak-vdn53/2026-11-23T19:00:00.000Z/content-length;content-type;host/e149e23b537c92b4ecb43c7a03d896db2e90faac94a5645c5dd15e53c59c2b1f",
			line:          "|content-type:application%2Fjson%3B%20charset%3DUTF-8|",
			args: append([]string{"--ak", "ak-vdn53", "--timestamp", "2026-11-23T19:00:00.000Z",
				"--url", "https://127.0.0.1:28443/CCFS/resource/ccfs/ivr/uploadFile?vdnId=53",
				"--header", "Content-Type: application/json; charset=UTF-8"}, three...),
		},
	} {
		t.Run(v.name, func(t *testing.T) {
			args := append([]string{"sign", "--explain", "--sk", v.sk, "--body", writeFile(t, "body.json", []byte(v.body))}, v.args...)
			code, out, errs := runCmd(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			prefix := v.authorization[:strings.LastIndexByte(v.authorization, '/')]
			signature := v.authorization[len(prefix)+1:]
			for _, want := range []string{
				v.authorization + "\n",
				"authStringPrefix: " + prefix + "\n",
				v.line + "\n",
				"): " + v.signingKey + "\n",
				"): " + signature + "\n",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("the output lacks %q:\n%s", want, out)
				}
			}
			if got := explainedKey(t, out); got != v.signingKey {
				t.Errorf("signing key %s, want %s", got, v.signingKey)
			}
		})
	}
}

// `ccfs sign -h` reads cleanly: each flag's placeholder is a word of its
// own, not a piece of its description (a back-quoted phrase in a flag's
// usage becomes its placeholder), and no line runs on past 110 columns.
func TestSignHelpReadable(t *testing.T) {
	code, _, help := runCmd(t, "sign", "-h")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, line := range strings.Split(help, "\n") {
		if len(line) > 110 {
			t.Errorf("line of %d columns: %q", len(line), line)
		}
		if strings.Contains(line, "`") {
			t.Errorf("a back quote left in: %q", line)
		}
	}
	for _, want := range []string{"\n  -explain\n", "\n  -header 'Name: value'\n", "\n  -signed-headers list\n", "\n  -timestamp time\n",
		"host only, as the vendor's demo does",
		// the steps --explain prints, in the order it prints them
		"the auth string prefix, the canonical request\n    \tas 'ccfs explain' lays out a server's 401 (to diff), the signing key and the signature"} {
		if !strings.Contains(help, want) {
			t.Errorf("the help lacks %q:\n%s", want, help)
		}
	}
}

// Each mistake with the flags is one line naming the flag and the text
// exactly as given.
func TestSignRefusals(t *testing.T) {
	base := []string{"sign", "--ak", "a", "--sk", "s", "--url", "https://h/p"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--signed-headers", "host;X-Token"}, `--signed-headers names "X-Token", but no --header gives its value`},
		{[]string{"--signed-headers", "host; content-type"}, `--signed-headers: " content-type" is not a header name`},
		{[]string{"--header", "X Token: 1"}, `--header: "X Token" is not a header name`},
		{[]string{"--timestamp", "2021-08-31T09:38:50+08:00"}, `--timestamp "2021-08-31T09:38:50+08:00" is neither`},
		{[]string{"--timestamp", "2021-08-31T09:38:50.872Z", "--seconds"}, `--seconds, but --timestamp "2021-08-31T09:38:50.872Z" has milliseconds`},
	} {
		code, out, errs := runCmd(t, append(base, c.args...)...)
		if code != 1 || out != "" || !strings.HasPrefix(errs, "ccfs sign: "+c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q", c.args, code, out, errs, c.want)
		}
	}
	// A Host header is signed as given, not the URL's host.
	code, out, _ := runCmd(t, append(base, "--explain", "--header", "Host: h:8443")...)
	if code != 0 || !strings.Contains(out, "|host:h%3A8443|\n") {
		t.Errorf("--header 'Host: h:8443': exit %d\n%s", code, out)
	}
}
