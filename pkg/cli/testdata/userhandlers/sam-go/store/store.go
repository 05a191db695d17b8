// Package store is shared by the functions, as in a real SAM project.
package store

import (
	"fmt"
	"os"
)

// Table is the table the function was configured with; a function without one cannot start.
func Table() string {
	t := os.Getenv("TABLE")
	if t == "" {
		panic("Need TABLE environment variable")
	}
	return t
}

// Describe says which table, stage and region the function runs against.
func Describe(table string) string {
	return fmt.Sprintf("%s/%s/%s", table, os.Getenv("STAGE"), os.Getenv("REGION_NAME"))
}
