package accounts_test

import (
	"github.com/ccfs-go/ccfs/console"
	"github.com/ccfs-go/ccfs/console/accounts"
)

// A File is what the console signs operators in with.
var _ console.Users = (*accounts.File)(nil)
