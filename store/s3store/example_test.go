package s3store_test

import (
	"log"
	"os"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/store/s3store"
)

// Files go to the bucket "prompts" under "ccfs/", on an S3-compatible
// server; the handler is mounted as with any other store.
func ExampleNew() {
	client, err := s3store.NewClient(s3store.ClientConfig{
		Endpoint:  "http://10.0.0.6:7070", // empty for AWS S3
		AccessKey: os.Getenv("AWS_ACCESS_KEY_ID"),
		SecretKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
	})
	if err != nil {
		log.Fatal(err)
	}
	files, err := s3store.New(client, s3store.Options{Bucket: "prompts", Prefix: "ccfs/"})
	if err != nil {
		log.Fatal(err)
	}
	keys, err := auth.NewFileCredentials("/etc/ccfs/keys.json")
	if err != nil {
		log.Fatal(err)
	}
	h, err := ccfs.NewHandler(ccfs.Options{Credentials: keys, Store: files})
	if err != nil {
		log.Fatal(err)
	}
	_ = h // http.Handle(ccfs.UploadPath, h)
}
