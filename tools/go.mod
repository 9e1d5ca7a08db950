module github.com/ccfs-go/ccfs/tools

go 1.26.0

require golang.org/x/mod v0.31.0
