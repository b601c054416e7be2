// Package migrations embeds sixfold's numbered SQL migrations so that the
// gateway can apply them at start and sqlc can read them as the schema.
package migrations

import "embed"

// FS holds every NNNN_name.up.sql / NNNN_name.down.sql pair.
//
//go:embed *.sql
var FS embed.FS
