// Package domain is what the functions do with products.
package domain

import "example.com/products/store"

// Products is the domain over a store.
type Products struct{ Store *store.Store }

// Count is how many products there are.
func (p Products) Count() int { return len(p.Store.All()) }
