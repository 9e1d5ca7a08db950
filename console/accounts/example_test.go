package accounts_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/ccfs-go/ccfs/console/accounts"
)

// Add writes an account, as ccfs console-user add does; Open reads the
// file for the console (console.Options.Users), and rereads it when it
// changes.
func Example() {
	dir, _ := os.MkdirTemp("", "accounts")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "console-users")

	if err := accounts.Add(path, "alice", "correct horse battery"); err != nil {
		log.Fatal(err)
	}
	users, err := accounts.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	ok, _ := users.Authenticate(ctx, "alice", "correct horse battery")
	fmt.Println("alice, her password:", ok)
	ok, _ = users.Authenticate(ctx, "alice", "Tr0ub4dor&3")
	fmt.Println("alice, another:", ok)

	if err := accounts.Add(path, "bob", "bob's long password"); err != nil {
		log.Fatal(err)
	}
	ok, _ = users.Authenticate(ctx, "bob", "bob's long password")
	fmt.Println("bob, added since Open:", ok, users.Names())
	// Output:
	// alice, her password: true
	// alice, another: false
	// bob, added since Open: true [alice bob]
}
