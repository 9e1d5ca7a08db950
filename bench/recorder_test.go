package bench_test

import (
	"net/http"
	"strings"
)

type recorder struct {
	h    http.Header
	body strings.Builder
}

func (r *recorder) Header() http.Header {
	if r.h == nil {
		r.h = http.Header{}
	}
	return r.h
}
func (r *recorder) Write(p []byte) (int, error) { return r.body.Write(p) }
func (r *recorder) WriteHeader(int)             {}
func (r *recorder) contains(s string) bool      { return strings.Contains(r.body.String(), s) }
