// The burner wallet's entry points, without its code: Burner.tsx (and the ERC-4337 client it
// pulls in) loads only when a person opens #/burner or already has a burner in this browser.
import { lazy, Suspense } from "react";
import type { AppConfig } from "./config";
import type { Catalog } from "./indexer";

/** localStorage key of the burner's session key (Burner.tsx reads and writes it). */
export const BURNER_STORE = "hexs.burner.v1";

export function hasBurner(): boolean {
  try {
    return localStorage.getItem(BURNER_STORE) !== null;
  } catch {
    return false; // storage disabled: no burner can exist
  }
}

const Page = lazy(() => import("./Burner").then((m) => ({ default: m.BurnerPage })));
const Keys = lazy(() => import("./Burner").then((m) => ({ default: m.BurnerKeys })));

type Props = { config: AppConfig; catalog: Catalog; onBought?: () => void };

export function LazyBurnerPage(p: Props) {
  return (
    <Suspense fallback={<p className="muted">Loading the burner wallet…</p>}>
      <Page {...p} />
    </Suspense>
  );
}

/** My keys' burner section, only when this browser has a burner. */
export function LazyBurnerKeys(p: Props) {
  if (!hasBurner()) return null;
  return (
    <Suspense fallback={null}>
      <Keys {...p} />
    </Suspense>
  );
}
