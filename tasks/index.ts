// Hardhat tasks: every user action and protocol upgrade. Imported by hardhat.config.ts, so
// nothing here may load the compiled typechain factories at import time (types only).
import "./model";
import "./sdl";
import "./key";
import "./vault";
import "./dao";
import "./plugin";
import "./protocol";
import "./akash";
import "./bridge";
import "./api";
import "./resale";
import "./cosmos-resale";
import "./aa";
