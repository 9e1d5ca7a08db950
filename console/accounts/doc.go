// Package accounts reads and writes the file of operators' accounts the
// ccfs console signs operators in with: one "name:hash" a line, '#'
// comments and blank lines.
//
//	# operators of the console (ccfs console-user add NAME)
//	alice:$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$…
//	bob:$2y$05$…
//
// A hash is argon2id in the PHC string format, as Hash and Add write it,
// or bcrypt as htpasswd -B writes it (so an htpasswd file of bcrypt
// entries is an accounts file). The file must be readable by its owner
// alone (chmod 600): Open refuses it otherwise.
//
// bcrypt reads only a password's first 72 bytes; argon2id reads it all.
//
// A File (from Open) is the console's Users: it rereads the file when it
// changes, so an account added or removed takes effect at the next
// sign-in, and a password given for a name that has no account costs a
// hash as a real one does, so that how long a refusal takes does not say
// which names exist.
//
// It is a nested module of its own, so that golang.org/x/crypto stays out
// of the ccfs module.
package accounts
