// A deterministic world for the simulator: sites placed in real metropolitan areas (weighted by
// population, with a few kilometres of jitter), each with a region, a provider, a tier, a loopback
// address block of its own (127.A.B.x) and a capacity. The same seed always gives the same world.
import type { SiteRegistration } from '../api/link.js'
import { rngFor, weighted } from '../lib/rng.js'

export interface City { name: string; country: string; region: string; lat: number; lon: number; weight: number }

/** Metropolitan areas (weight ≈ millions of people), grouped into cloud-style regions. */
export const CITIES: readonly City[] = [
  // Europe
  { name: 'london', country: 'GB', region: 'eu-west', lat: 51.507, lon: -0.128, weight: 14 },
  { name: 'paris', country: 'FR', region: 'eu-west', lat: 48.857, lon: 2.352, weight: 12 },
  { name: 'madrid', country: 'ES', region: 'eu-south', lat: 40.417, lon: -3.704, weight: 6.7 },
  { name: 'barcelona', country: 'ES', region: 'eu-south', lat: 41.385, lon: 2.173, weight: 5.6 },
  { name: 'lisbon', country: 'PT', region: 'eu-south', lat: 38.722, lon: -9.139, weight: 2.9 },
  { name: 'milan', country: 'IT', region: 'eu-south', lat: 45.464, lon: 9.19, weight: 4.3 },
  { name: 'rome', country: 'IT', region: 'eu-south', lat: 41.903, lon: 12.496, weight: 4.3 },
  { name: 'amsterdam', country: 'NL', region: 'eu-west', lat: 52.368, lon: 4.904, weight: 2.5 },
  { name: 'brussels', country: 'BE', region: 'eu-west', lat: 50.85, lon: 4.352, weight: 2.1 },
  { name: 'dublin', country: 'IE', region: 'eu-west', lat: 53.35, lon: -6.26, weight: 1.4 },
  { name: 'frankfurt', country: 'DE', region: 'eu-central', lat: 50.11, lon: 8.682, weight: 5.8 },
  { name: 'berlin', country: 'DE', region: 'eu-central', lat: 52.52, lon: 13.405, weight: 6.1 },
  { name: 'munich', country: 'DE', region: 'eu-central', lat: 48.135, lon: 11.582, weight: 3 },
  { name: 'vienna', country: 'AT', region: 'eu-central', lat: 48.208, lon: 16.374, weight: 2.9 },
  { name: 'zurich', country: 'CH', region: 'eu-central', lat: 47.377, lon: 8.542, weight: 1.4 },
  { name: 'warsaw', country: 'PL', region: 'eu-central', lat: 52.23, lon: 21.012, weight: 3.1 },
  { name: 'prague', country: 'CZ', region: 'eu-central', lat: 50.075, lon: 14.438, weight: 2.7 },
  { name: 'stockholm', country: 'SE', region: 'eu-north', lat: 59.329, lon: 18.069, weight: 2.4 },
  { name: 'oslo', country: 'NO', region: 'eu-north', lat: 59.914, lon: 10.752, weight: 1.6 },
  { name: 'helsinki', country: 'FI', region: 'eu-north', lat: 60.17, lon: 24.938, weight: 1.5 },
  { name: 'copenhagen', country: 'DK', region: 'eu-north', lat: 55.676, lon: 12.568, weight: 2.1 },
  { name: 'athens', country: 'GR', region: 'eu-south', lat: 37.984, lon: 23.728, weight: 3.6 },
  { name: 'bucharest', country: 'RO', region: 'eu-central', lat: 44.427, lon: 26.103, weight: 2.3 },
  { name: 'istanbul', country: 'TR', region: 'eu-south', lat: 41.008, lon: 28.978, weight: 15.5 },
  // North America
  { name: 'new-york', country: 'US', region: 'us-east', lat: 40.713, lon: -74.006, weight: 19.8 },
  { name: 'ashburn', country: 'US', region: 'us-east', lat: 39.044, lon: -77.487, weight: 6.3 },
  { name: 'boston', country: 'US', region: 'us-east', lat: 42.36, lon: -71.059, weight: 4.9 },
  { name: 'atlanta', country: 'US', region: 'us-east', lat: 33.749, lon: -84.388, weight: 6.1 },
  { name: 'miami', country: 'US', region: 'us-east', lat: 25.762, lon: -80.192, weight: 6.1 },
  { name: 'chicago', country: 'US', region: 'us-central', lat: 41.878, lon: -87.63, weight: 9.4 },
  { name: 'dallas', country: 'US', region: 'us-central', lat: 32.777, lon: -96.797, weight: 7.6 },
  { name: 'houston', country: 'US', region: 'us-central', lat: 29.76, lon: -95.37, weight: 7.1 },
  { name: 'denver', country: 'US', region: 'us-central', lat: 39.739, lon: -104.99, weight: 2.9 },
  { name: 'los-angeles', country: 'US', region: 'us-west', lat: 34.052, lon: -118.244, weight: 13.2 },
  { name: 'san-francisco', country: 'US', region: 'us-west', lat: 37.775, lon: -122.419, weight: 4.7 },
  { name: 'seattle', country: 'US', region: 'us-west', lat: 47.606, lon: -122.332, weight: 4 },
  { name: 'phoenix', country: 'US', region: 'us-west', lat: 33.448, lon: -112.074, weight: 4.9 },
  { name: 'toronto', country: 'CA', region: 'ca-central', lat: 43.653, lon: -79.383, weight: 6.2 },
  { name: 'montreal', country: 'CA', region: 'ca-central', lat: 45.502, lon: -73.567, weight: 4.3 },
  { name: 'vancouver', country: 'CA', region: 'ca-central', lat: 49.283, lon: -123.121, weight: 2.6 },
  { name: 'mexico-city', country: 'MX', region: 'us-central', lat: 19.433, lon: -99.133, weight: 21.8 },
  // South America
  { name: 'sao-paulo', country: 'BR', region: 'sa-east', lat: -23.551, lon: -46.633, weight: 22 },
  { name: 'rio-de-janeiro', country: 'BR', region: 'sa-east', lat: -22.907, lon: -43.173, weight: 13.5 },
  { name: 'buenos-aires', country: 'AR', region: 'sa-east', lat: -34.604, lon: -58.382, weight: 15.4 },
  { name: 'santiago', country: 'CL', region: 'sa-east', lat: -33.449, lon: -70.669, weight: 6.8 },
  { name: 'bogota', country: 'CO', region: 'sa-north', lat: 4.711, lon: -74.072, weight: 11.3 },
  { name: 'lima', country: 'PE', region: 'sa-north', lat: -12.046, lon: -77.043, weight: 10.9 },
  // Africa and the Middle East
  { name: 'lagos', country: 'NG', region: 'af-west', lat: 6.524, lon: 3.379, weight: 15.4 },
  { name: 'cairo', country: 'EG', region: 'me-central', lat: 30.044, lon: 31.236, weight: 21.3 },
  { name: 'johannesburg', country: 'ZA', region: 'af-south', lat: -26.204, lon: 28.047, weight: 6.2 },
  { name: 'cape-town', country: 'ZA', region: 'af-south', lat: -33.925, lon: 18.424, weight: 4.8 },
  { name: 'nairobi', country: 'KE', region: 'af-east', lat: -1.292, lon: 36.822, weight: 5.1 },
  { name: 'casablanca', country: 'MA', region: 'af-west', lat: 33.573, lon: -7.59, weight: 3.8 },
  { name: 'dubai', country: 'AE', region: 'me-central', lat: 25.205, lon: 55.271, weight: 3.5 },
  { name: 'riyadh', country: 'SA', region: 'me-central', lat: 24.713, lon: 46.675, weight: 7.7 },
  { name: 'tel-aviv', country: 'IL', region: 'me-central', lat: 32.085, lon: 34.782, weight: 4.2 },
  // Asia and Oceania
  { name: 'mumbai', country: 'IN', region: 'ap-south', lat: 19.076, lon: 72.878, weight: 21 },
  { name: 'delhi', country: 'IN', region: 'ap-south', lat: 28.704, lon: 77.102, weight: 32 },
  { name: 'bangalore', country: 'IN', region: 'ap-south', lat: 12.972, lon: 77.595, weight: 13 },
  { name: 'chennai', country: 'IN', region: 'ap-south', lat: 13.083, lon: 80.271, weight: 11.5 },
  { name: 'karachi', country: 'PK', region: 'ap-south', lat: 24.861, lon: 67.01, weight: 16.8 },
  { name: 'dhaka', country: 'BD', region: 'ap-south', lat: 23.81, lon: 90.413, weight: 22.5 },
  { name: 'singapore', country: 'SG', region: 'ap-southeast', lat: 1.352, lon: 103.82, weight: 5.9 },
  { name: 'jakarta', country: 'ID', region: 'ap-southeast', lat: -6.208, lon: 106.846, weight: 11 },
  { name: 'bangkok', country: 'TH', region: 'ap-southeast', lat: 13.756, lon: 100.502, weight: 10.9 },
  { name: 'manila', country: 'PH', region: 'ap-southeast', lat: 14.6, lon: 120.984, weight: 14.4 },
  { name: 'ho-chi-minh-city', country: 'VN', region: 'ap-southeast', lat: 10.823, lon: 106.63, weight: 9.3 },
  { name: 'hong-kong', country: 'HK', region: 'ap-east', lat: 22.32, lon: 114.169, weight: 7.5 },
  { name: 'shanghai', country: 'CN', region: 'ap-east', lat: 31.23, lon: 121.474, weight: 28.5 },
  { name: 'beijing', country: 'CN', region: 'ap-east', lat: 39.904, lon: 116.407, weight: 21.3 },
  { name: 'shenzhen', country: 'CN', region: 'ap-east', lat: 22.543, lon: 114.058, weight: 12.8 },
  { name: 'taipei', country: 'TW', region: 'ap-east', lat: 25.033, lon: 121.565, weight: 7 },
  { name: 'seoul', country: 'KR', region: 'ap-northeast', lat: 37.567, lon: 126.978, weight: 25.5 },
  { name: 'tokyo', country: 'JP', region: 'ap-northeast', lat: 35.676, lon: 139.65, weight: 37 },
  { name: 'osaka', country: 'JP', region: 'ap-northeast', lat: 34.694, lon: 135.502, weight: 19 },
  { name: 'sydney', country: 'AU', region: 'oc-east', lat: -33.869, lon: 151.209, weight: 5.3 },
  { name: 'melbourne', country: 'AU', region: 'oc-east', lat: -37.814, lon: 144.963, weight: 5.1 },
  { name: 'auckland', country: 'NZ', region: 'oc-east', lat: -36.848, lon: 174.763, weight: 1.7 },
]

/** Who runs the sites: the operator's own rooms and a few rented providers. */
export const PROVIDERS: readonly { name: string; weight: number }[] = [
  { name: 'self', weight: 35 },
  { name: 'acme-cloud', weight: 20 },
  { name: 'globex', weight: 20 },
  { name: 'initech', weight: 12 },
  { name: 'hooli', weight: 8 },
  { name: 'umbrella', weight: 5 },
]

export interface SimNodeSpec {
  name: string
  /** The node's own loopback address (instances "bind" here). */
  address: string
  capacity: { cpu: number; memory: number }
}

export interface SimSite {
  index: number
  city: string
  registration: SiteRegistration
  /** host:port of the site's (hollow) gateway. */
  gateway: string
  nodes: SimNodeSpec[]
}

const GiB = 1024 ** 3

/** Site i gets the loopback block 127.A.B.0/24 (A, B ≥ 1): 254 × 254 blocks. */
export function siteBlock(i: number): string {
  if (i >= 254 * 254) throw new Error(`at most ${254 * 254} sites have their own loopback block`)
  return `127.${1 + Math.floor(i / 254)}.${1 + (i % 254)}`
}

/** The first `count` sites of the world of `seed` (the first k sites are the same for any count ≥ k). */
export function generateSites(count: number, seed: string | number, nodesPerSite = 1): SimSite[] {
  if (nodesPerSite < 1 || nodesPerSite > 250) throw new Error('nodes per site must be 1–250')
  const out: SimSite[] = []
  for (let i = 0; i < count; i++) {
    // One stream per site: site i does not depend on how many sites come after it.
    const random = rngFor(seed, `site-${i}`)
    const city = weighted(CITIES, (c) => c.weight, random)
    const provider = weighted(PROVIDERS, (p) => p.weight, random).name
    // A few large central sites in big metros; the rest are small edge rooms.
    const central = city.weight >= 10 && random() < 0.04
    const jitter = central ? 0.05 : 0.35
    const lat = round(clamp(city.lat + (random() * 2 - 1) * jitter, -89.9, 89.9))
    const lon = round(wrapLon(city.lon + (random() * 2 - 1) * jitter / Math.max(0.2, Math.cos(city.lat * Math.PI / 180))))
    const block = siteBlock(i)
    const name = `${city.name}-${String(i).padStart(5, '0')}`
    const nodes: SimNodeSpec[] = []
    for (let k = 0; k < nodesPerSite; k++) {
      const cpu = central ? 64_000 : [8000, 16_000, 16_000, 32_000][Math.floor(random() * 4)]
      nodes.push({ name: `${name}-n${k}`, address: `${block}.${k + 2}`, capacity: { cpu, memory: (cpu / 1000) * 4 * GiB } })
    }
    out.push({
      index: i, city: city.name, gateway: `${block}.1:8080`, nodes,
      registration: {
        name, region: city.region, provider, tier: central ? 'central' : 'edge', geo: { lat, lon },
        labels: { city: city.name, country: city.country },
      },
    })
  }
  return out
}

function clamp(v: number, lo: number, hi: number): number { return Math.min(hi, Math.max(lo, v)) }
function wrapLon(v: number): number { return ((v + 540) % 360) - 180 }
function round(v: number): number { return Math.round(v * 1e4) / 1e4 }
