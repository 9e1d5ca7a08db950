package console

import "net/http"

// serveRefusals lists the last refusals.
func (c *Console) serveRefusals(w http.ResponseWriter, r *http.Request) {
	c.fail(w, r, http.StatusNotImplemented, "not yet")
}

// serveRefusal shows one refusal, with its explanation.
func (c *Console) serveRefusal(w http.ResponseWriter, r *http.Request) {
	c.fail(w, r, http.StatusNotImplemented, "not yet")
}
