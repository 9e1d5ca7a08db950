package console

import "net/http"

// servePrompts lists a VDN's prompts, a page at a time.
func (c *Console) servePrompts(w http.ResponseWriter, r *http.Request) {
	c.fail(w, r, http.StatusNotImplemented, "not yet")
}

// serveAudio sends a prompt decoded to 16-bit PCM WAV, for <audio>.
func (c *Console) serveAudio(w http.ResponseWriter, r *http.Request) {
	c.fail(w, r, http.StatusNotImplemented, "not yet")
}

// serveWaveform draws a prompt's waveform as SVG.
func (c *Console) serveWaveform(w http.ResponseWriter, r *http.Request) {
	c.fail(w, r, http.StatusNotImplemented, "not yet")
}

// serveDownload sends a prompt as it is stored.
func (c *Console) serveDownload(w http.ResponseWriter, r *http.Request) {
	c.fail(w, r, http.StatusNotImplemented, "not yet")
}

// serveDeleteForm asks the operator to confirm a delete.
func (c *Console) serveDeleteForm(w http.ResponseWriter, r *http.Request) {
	c.fail(w, r, http.StatusNotImplemented, "not yet")
}

// serveDelete deletes a prompt, once confirmed.
func (c *Console) serveDelete(w http.ResponseWriter, r *http.Request) {
	c.fail(w, r, http.StatusNotImplemented, "not yet")
}
