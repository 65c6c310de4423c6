import { basename } from 'node:path';
import { KioskVoiceError } from '../errors.js';
import type { FetchReport } from './fetchModels.js';

/** The named errors of `models fetch`: each says which file, what went wrong and what to do. */

/** A copied or downloaded file's hash is not the pinned one; the file was deleted. */
export class ChecksumMismatchError extends KioskVoiceError {
  constructor(
    readonly path: string,
    readonly source: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `${path}: sha256 mismatch (expected ${expected}, got ${actual}) from ${source}`,
      'the copy was deleted; check the mirror or URL serves the file the manifest pins, then fetch again',
    );
  }
}

/** A copied or downloaded file has the wrong length; the file was deleted. */
export class SizeMismatchError extends KioskVoiceError {
  constructor(
    readonly path: string,
    readonly source: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(
      `${path}: ${actual} bytes from ${source}, expected ${expected}`,
      'the copy was deleted; check the mirror or URL serves the file the manifest pins, then fetch again',
    );
  }
}

/** The file is not in the mirror and could not be downloaded. */
export class DownloadFailedError extends KioskVoiceError {
  constructor(
    readonly path: string,
    readonly url: string,
    readonly reason: string,
    mirrorDir: string | undefined,
    options?: { cause?: unknown },
  ) {
    const where = mirrorDir ? `not in the mirror ${mirrorDir} and ` : '';
    super(
      `${path}: ${where}could not download ${url}: ${reason}`,
      mirrorDir
        ? `check the network, or copy ${basename(path)} into ${mirrorDir}`
        : `check the network, or copy the model files to a directory and set KIOSK_MODELS_MIRROR=<dir> (or pass --mirror <dir>)`,
      options,
    );
  }
}

/** The mirror directory the operator named does not exist. */
export class MirrorNotFoundError extends KioskVoiceError {
  constructor(readonly dir: string) {
    super(`model mirror directory ${dir} does not exist`, 'fix KIOSK_MODELS_MIRROR / --mirror, or unset it to download');
  }
}

/** `tar` failed to unpack an archive. */
export class ArchiveExtractError extends KioskVoiceError {
  constructor(
    readonly archive: string,
    reason: string,
    missingTool: boolean,
    options?: { cause?: unknown },
  ) {
    super(
      `could not extract ${archive}: ${reason}`,
      missingTool ? 'install tar and bzip2 (apt-get install tar bzip2)' : 'delete the archive and fetch again; if it recurs, the download is corrupt',
      options,
    );
  }
}

/** An archive unpacked fine but lacks files the manifest lists. */
export class ArchiveContentError extends KioskVoiceError {
  constructor(
    readonly modelId: string,
    readonly url: string,
    readonly missing: string[],
  ) {
    super(
      `archive for ${modelId} (${url}) did not contain ${missing.join(', ')}`,
      'the manifest does not match the archive: fix the paths in models/manifest.json',
    );
  }
}

/** A model that comes from a Debian package is not installed. */
export class SystemModelMissingError extends KioskVoiceError {
  constructor(
    readonly modelId: string,
    readonly debianPackage: string,
    readonly missing: string[],
  ) {
    super(
      `${modelId}: ${missing.join(', ')} not found`,
      `install the Debian package ${debianPackage} (apt-get install ${debianPackage})`,
    );
  }
}

/** Writing into the models directory failed (permissions, full disk, …). */
export class ModelInstallError extends KioskVoiceError {
  constructor(
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`could not install ${path}: ${reason}`, 'check that the models directory is writable and the disk has room', options);
  }
}

/** One or more models of a set could not be installed; `problems` holds one error per model. */
export class ModelSetFetchError extends KioskVoiceError {
  constructor(
    readonly set: string,
    readonly problems: KioskVoiceError[],
    readonly report: FetchReport,
  ) {
    super(
      problems.length === 1 && problems[0]
        ? problems[0].message
        : `${problems.length} models of set "${set}" could not be installed`,
      problems.length === 1 ? problems[0]?.hint : 'see the problems listed above',
    );
  }
}
