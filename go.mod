module github.com/ccfs-go/ccfs

go 1.26
