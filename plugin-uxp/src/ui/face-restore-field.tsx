/** The panel's face-restore chooser: the daemon's brought face-restore models, and the strength once one is chosen. */
import type { PanelModel, PanelState } from "../model/panel-model";
import { FACE_RESTORE_OFF, FACE_RESTORE_PRESET } from "../model/settings";
import { Detail, Picker, Slider } from "./widgets";

/** The chooser and its strength slider; the panel shows it only when the daemon lists a face-restore model. */
export function FaceRestoreField({ model, state, disabled }: { readonly model: PanelModel; readonly state: PanelState; readonly disabled: boolean }): JSX.Element {
  const { settings } = state;
  const options = [
    { value: FACE_RESTORE_PRESET, label: "The preset's" },
    { value: FACE_RESTORE_OFF, label: "None" },
    ...state.faceRestoreModels.map((candidate) => ({ value: candidate.id, label: candidate.name })),
  ];
  const chosen = settings.faceRestore !== FACE_RESTORE_PRESET && settings.faceRestore !== FACE_RESTORE_OFF;
  return (
    <div className="pu-field" data-testid="face-restore-field">
      <div className="pu-row pu-row--spread">
        <Detail>FACE RESTORE</Detail>
        <Picker label="Face restore" value={settings.faceRestore} options={options} disabled={disabled} onChange={(value) => void model.setValue("faceRestore", value)} testId="face-restore" />
      </div>
      {chosen ? (
        <Slider label="Strength" value={settings.faceRestoreStrength} disabled={disabled} onChange={(value) => void model.setValue("faceRestoreStrength", value)} testId="face-restore-strength" />
      ) : null}
    </div>
  );
}
