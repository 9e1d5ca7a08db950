module github.com/ccfs-go/ccfs/console/accounts

go 1.26.0

require (
	github.com/ccfs-go/ccfs v0.1.0
	golang.org/x/crypto v0.59.0
)

require (
	github.com/go-audio/audio v1.0.0 // indirect
	github.com/go-audio/riff v1.0.0 // indirect
	github.com/go-audio/wav v1.1.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)
