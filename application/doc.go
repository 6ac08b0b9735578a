// Package application holds the use cases: what the api and the worker do,
// in terms of domain values and ports. It imports domain and ports only.
package application
