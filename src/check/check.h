/*
 * check.h — one check from parsed options: the path shared by the command
 * line, and by anything else that runs checks (scan, serve).
 *
 * dd_check_setup() runs once per process: it fills in what the options left
 * to defaults (root hints, trust anchors, resolvers) and honours
 * DNSSEC_DOCTOR_OFFLINE. dd_check_probe() and dd_check_analyse() may then
 * run many times, also from several threads at once (each probe has its own
 * event loop; the options are only read).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyse/analyse.h"
#include "cli/options.h"
#include "evidence/evidence.h"

/* DNSSEC_DOCTOR_OFFLINE is set (and not "0"). */
bool dd_offline(void);

/* Which algorithms this machine's crypto verifies (known signatures): into o->policy. */
void dd_check_selftest(dd_opts_t *o);

/*
 * Complete `o` for checks (and run the crypto self-test): built-in root hints and anchors when none
 * were given, the default resolvers when none were given and --no-resolvers was not, and whether
 * this machine has an IPv6 route. Returns 0, or DD_EOFFLINE / DD_ENOMEM with a one-line message in
 * `err`.
 */
int dd_check_setup(dd_opts_t *o, char *err, size_t err_size);

/*
 * Probe `name` (presentation format) / `qtype` as the options say, with
 * `now` as the probe time. Returns 0 with the evidence in `*ev`, or an
 * error with a one-line message in `err` (DD_EINVAL: the name lies outside
 * the hints, or the hints hold no usable server).
 */
int dd_check_probe(const dd_opts_t *o, const char *name, uint16_t qtype, int64_t now,
		   evidence_t **ev, char *err, size_t err_size);

/* Analyse evidence at --at, or else at the time it was probed. Returns 0 or DD_ENOMEM. */
int dd_check_analyse(const dd_opts_t *o, const evidence_t *ev, an_result_t **res);
