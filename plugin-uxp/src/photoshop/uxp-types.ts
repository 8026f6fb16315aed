/**
 * The parts of Photoshop's and UXP's modules this panel uses, typed narrowly here rather
 * than pulling in the full type packages. Names and shapes follow Adobe's reference
 * (imaging, executeAsModal, batchPlay, the DOM's Document and Layer, uxp.storage).
 */
export interface UxpBounds {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export interface UxpLayer {
  readonly id: number;
  name: string;
  readonly kind: string;
  readonly isBackgroundLayer: boolean;
  readonly boundsNoEffects: UxpBounds;
}

export interface UxpDocument {
  readonly id: number;
  readonly title: string;
  readonly width: number;
  readonly height: number;
  readonly resolution: number;
  readonly bitsPerChannel: string;
  readonly mode: string;
  readonly colorProfileName?: string;
  readonly activeLayers: readonly UxpLayer[];
  readonly selection?: { readonly bounds?: UxpBounds | null };
  resizeImage(width: number, height: number, resolution?: number, resampleMethod?: string): Promise<void>;
}

export interface UxpImageData {
  readonly width: number;
  readonly height: number;
  readonly components: number;
  readonly componentSize: number;
  getData(options: { chunky: boolean }): Promise<Uint8Array | Uint16Array | Float32Array>;
  dispose(): void;
}

export interface UxpExecutionContext {
  readonly isCancelled: boolean;
  readonly hostControl: {
    suspendHistory(options: { documentID: number; name: string }): Promise<number>;
    resumeHistory(suspensionID: number, commit?: boolean): Promise<void>;
  };
}

export interface PhotoshopModule {
  readonly app: {
    /** Assignable: batchPlay descriptors without a document act on the active one. */
    activeDocument: UxpDocument | null;
    readonly documents: readonly UxpDocument[] & {
      add(options: Record<string, unknown>): Promise<UxpDocument>;
    };
  };
  readonly core: {
    executeAsModal<T>(fn: (context: UxpExecutionContext) => Promise<T>, options: { commandName: string }): Promise<T>;
  };
  readonly action: {
    batchPlay(descriptors: readonly object[], options: Record<string, unknown>): Promise<Record<string, unknown>[]>;
    addNotificationListener(events: readonly string[], listener: () => void): Promise<void>;
    removeNotificationListener(events: readonly string[], listener: () => void): Promise<void>;
  };
  readonly imaging: {
    getPixels(options: Record<string, unknown>): Promise<{ imageData: UxpImageData; sourceBounds: UxpBounds }>;
  };
  readonly constants: {
    readonly NewDocumentMode: { readonly RGB: string; readonly GRAYSCALE: string };
    readonly DocumentFill: { readonly TRANSPARENT: string };
  };
}

export interface UxpFile {
  write(data: ArrayBuffer | string, options: { format: unknown }): Promise<number>;
  read(options: { format: unknown }): Promise<string>;
  delete(): Promise<void>;
}

export interface UxpFolder {
  createFile(name: string, options: { overwrite: boolean }): Promise<UxpFile>;
  getEntry(name: string): Promise<UxpFile>;
}

export interface UxpModule {
  /** Needs requiredPermissions.launchProcess; resolves "" on success or an error message. */
  readonly shell: { openExternal(url: string, developerText?: string): Promise<string> };
  readonly storage: {
    readonly localFileSystem: {
      getTemporaryFolder(): Promise<UxpFolder>;
      getDataFolder(): Promise<UxpFolder>;
      createSessionToken(entry: UxpFile): string;
    };
    readonly formats: { readonly binary: unknown; readonly utf8: unknown };
  };
}
