package console

import "net/http"

// usageCache keeps the usage counted from the store for a while.
type usageCache struct{}

func newUsageCache() *usageCache { return &usageCache{} }

// serveTenants shows the tenants.
func (c *Console) serveTenants(w http.ResponseWriter, r *http.Request) {
	c.fail(w, r, http.StatusNotImplemented, "not yet")
}
