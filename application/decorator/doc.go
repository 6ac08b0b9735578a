// Package decorator holds what wraps a port with more behaviour of the same
// port: the read cache in front of the store's reads (CachedReads), write
// admission in front of the event queue (AdmitWrites), and the counting of
// what a queue appends and a read cache answers (CountAppends,
// CountLookups), which hear it through hooks, as the use cases' own hooks
// do, so that this package, like the use cases, imports domain and ports only.
package decorator
