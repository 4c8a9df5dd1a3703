// Package pppoe owns PPPoE (RFC 2516): zero-copy views of the PPPoE header
// and discovery tags, and the access-concentrator discovery engine that
// answers PADI with PADO, validates PADR statelessly through an HMAC
// AC-Cookie, allocates session IDs under per-port and per-MAC limits, rate
// limits PADIs per client MAC, and tears sessions down with PADT in both
// directions. Frames enter through Engine.HandleFrame and leave through a
// FrameSender; PPP payloads of established sessions go to a Handler.
package pppoe
