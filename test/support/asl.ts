// The state-machine runner lives in local/ (npm start uses it too); tests import it from here.
export * from '../../local/step-functions';
