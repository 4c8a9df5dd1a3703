// Package ppp owns the PPP link for one subscriber (RFC 1661): zero-copy
// views of PPP frames, control packets and options; the RFC 1661 option
// negotiation automaton shared by LCP and IPCP; LCP (MRU, Auth-Protocol,
// Magic-Number, echo keepalives), PAP (RFC 1334) and CHAP-MD5 (RFC 1994)
// authenticator sides, IPCP (RFC 1332, RFC 1877 DNS); and Session, which
// runs LCP → authentication → IPCP → up for one subscriber and reports
// authenticated/up/down events. The LCP and IPCP option handlers also have
// a client role, used by the subscriber emulator.
package ppp
