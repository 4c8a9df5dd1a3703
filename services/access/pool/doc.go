// Package pool implements JunosE local address pools (`ip local pool`): a
// per-virtual-router local address server holding named pools of IPv4
// ranges. Allocation is sequential within a range, then the next range, then
// the next pool unless a pool is named; released addresses are reused lowest
// first, so the first range refills before later ones.
package pool
