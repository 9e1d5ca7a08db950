module github.com/ccfs-go/ccfs

go 1.26.0

require (
	github.com/go-audio/wav v1.1.0
	golang.org/x/sys v0.48.0
	golang.org/x/time v0.16.0
)

require (
	github.com/go-audio/audio v1.0.0 // indirect
	github.com/go-audio/riff v1.0.0 // indirect
)
