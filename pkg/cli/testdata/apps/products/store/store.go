// Package store is the products' table (a map here; the real one is a database client built at init).
package store

import "os"

// Store holds products by id.
type Store struct {
	Table string
	items map[string]string
}

// New is the store of the TABLE the function is configured with.
func New() *Store {
	return &Store{Table: os.Getenv("TABLE"), items: map[string]string{"1": "coffee", "2": "tea"}}
}

// Get returns the product called id.
func (s *Store) Get(id string) (string, bool) { v, ok := s.items[id]; return v, ok }

// All returns every product.
func (s *Store) All() map[string]string { return s.items }
