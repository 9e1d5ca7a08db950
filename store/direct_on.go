//go:build ccfs_odirect

package store

const directMin = 1 << 20
