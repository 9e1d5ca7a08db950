module github.com/ccfs-go/ccfs/convert/mp3

go 1.26.0

require (
	github.com/ccfs-go/ccfs v0.1.0
	github.com/hajimehoshi/go-mp3 v0.3.4
)

require (
	github.com/go-audio/audio v1.0.0 // indirect
	github.com/go-audio/riff v1.0.0 // indirect
	github.com/go-audio/wav v1.1.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)
