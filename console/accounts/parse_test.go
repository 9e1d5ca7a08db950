package accounts

import (
	"strings"
	"testing"
)

func TestValidName(t *testing.T) {
	for _, name := range []string{"a", "alice", "alice@example.com", "ops.team_1-2", strings.Repeat("x", 64)} {
		if !ValidName(name) {
			t.Errorf("%q refused", name)
		}
	}
	for _, name := range []string{"", strings.Repeat("x", 65), "al ice", "alice:", "alïce", "a/b", "#alice", "a\tb"} {
		if ValidName(name) {
			t.Errorf("%q accepted", name)
		}
	}
}

func TestParseTakesCommentsBlanksAndLineEndings(t *testing.T) {
	a, b := cheapHash(t, "alice's password"), htpasswdBcrypt
	lines, err := parse([]byte("# operators\n\n  # indented comment\r\nalice:" + a + "\r\n  bob:" + b + "  \n\n"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range lines {
		if l.hash != nil {
			names = append(names, l.name)
		}
	}
	if len(lines) != 6 || strings.Join(names, ",") != "alice,bob" {
		t.Fatalf("%d lines, accounts %v", len(lines), names)
	}
	if lines[0].text != "# operators" || lines[2].text != "  # indented comment" {
		t.Fatalf("comments kept as %q, %q", lines[0].text, lines[2].text)
	}
	if lines, err := parse(nil); err != nil || len(lines) != 0 {
		t.Fatalf("empty file: %v, %d lines", err, len(lines))
	}
}

func TestMalformedLinesNamedByNumberWithoutTheHash(t *testing.T) {
	good := "alice:" + cheapHash(t, "alice's password")
	const secret = "Sup3rSecretPassw0rd"
	for _, c := range []struct {
		line, want string
	}{
		{secret, "line 3: want name:hash"},                                          // a password pasted alone
		{"bob " + secret, "line 3: want name:hash"},                                 // no colon
		{"bo b:$2y$05$" + secret, "line 3: a name is 1 to 64 bytes"},                // a bad name
		{":" + secret, "line 3: a name is 1 to 64 bytes"},                           // no name
		{"bob:" + secret, "line 3: bob: the hash is neither argon2id"},              // a password where the hash goes
		{"bob:$argon2id$v=19$m=1,t=1,p=1$" + secret + "$" + secret, "line 3: bob:"}, // bad costs
		{"alice:" + htpasswdBcrypt, `line 3: "alice" again (first on line 2)`},
	} {
		_, err := parse([]byte("# operators\n" + good + "\n" + c.line + "\n"))
		if err == nil {
			t.Errorf("%q accepted", c.line)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %q, want it to say %q", c.line, err, c.want)
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "ZvQFj6AOFAz") || strings.Contains(err.Error(), "m=1,t=1") {
			t.Errorf("%q: error %q repeats the line's secret", c.line, err)
		}
	}
}
