// Package porttest holds one contract test suite per port. Each adapter's
// tests run the suites of the ports it implements, the in-process or SQLite
// adapter and the real-server one alike, so that swapping one for the other
// is proven rather than hoped. It also holds the in-memory doubles the use
// cases' tests share (FakeQueue, Seeds), proven by the same suites. It
// imports domain, ports and testing only.
package porttest
