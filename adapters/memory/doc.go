// Package memory holds the adapters that keep their state in the process:
// the rate limiter, the read cache and the live log. They serve the
// embedded profile (one process, so nothing to share) and double as the
// use-case tests' fakes; each passes the contract suite of its port that
// the Redis adapter passes too.
package memory
