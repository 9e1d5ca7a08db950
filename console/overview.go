package console

import "net/http"

// serveOverview shows the overview.
func (c *Console) serveOverview(w http.ResponseWriter, r *http.Request) {
	c.fail(w, r, http.StatusNotImplemented, "not yet")
}
