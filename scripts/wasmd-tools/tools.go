//go:build tools

// Package tools pins the wasmd command so `go mod tidy` keeps its dependencies.
package tools

import _ "github.com/CosmWasm/wasmd/cmd/wasmd"
